//! The progress bar of the long one-shot commands (backup, restore), on stderr.
use indicatif::{ProgressBar, ProgressStyle};

/// A bar whose length is set when the work is known (`start`) and that moves one step per `tick`.
pub fn bar(what: &'static str) -> ProgressBar {
    let bar = ProgressBar::no_length();
    if let Ok(style) = ProgressStyle::with_template("{msg} {bar:40} {pos}/{len}") {
        bar.set_style(style);
    }
    bar.set_message(what);
    bar
}
