//! Where log lines go and how they look: `[log] format` (text or JSON lines) and `level`, on
//! standard error, with colour only when that is a terminal (journald and files get plain text).
use crate::config::{LogConfig, LogFormat};
use std::io::IsTerminal;
use tracing_subscriber::EnvFilter;

/// Overrides `[log] level` as a whole when set (kept from before the config key existed).
pub const ENV_FILTER: &str = "GALLEY_LOG";

/// Libraries whose INFO lines are noise to an operator: the scheduler announces every job it
/// creates and every tick state ("Job creator created", "Uninited"). Their warnings still show.
const QUIET_TARGETS: [&str; 1] = ["tokio_cron_scheduler=warn"];

/// The filter: `GALLEY_LOG`, else `[log] level`, plus the quiet targets unless the filter names them.
pub fn filter(config: &LogConfig) -> EnvFilter {
    let spec = filter_spec(std::env::var(ENV_FILTER).ok(), &config.level);
    EnvFilter::builder().parse(&spec).unwrap_or_else(|_| EnvFilter::new("info"))
}

fn filter_spec(from_env: Option<String>, level: &str) -> String {
    let mut spec = from_env.filter(|v| !v.trim().is_empty()).unwrap_or_else(|| level.to_owned());
    for quiet in QUIET_TARGETS {
        let target = quiet.split('=').next().unwrap_or(quiet);
        if !spec.contains(target) {
            spec = format!("{spec},{quiet}");
        }
    }
    spec
}

/// Installs the process-wide subscriber; a second call (a command that loads its config twice)
/// keeps the first.
pub fn init(config: &LogConfig) {
    let ansi = std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    let builder = tracing_subscriber::fmt().with_env_filter(filter(config)).with_writer(std::io::stderr);
    let _ = match config.format {
        LogFormat::Text => builder.with_ansi(ansi).try_init(),
        // Event fields at the top level of each object, so `jq .status` works.
        LogFormat::Json => builder.json().flatten_event(true).with_current_span(false).with_ansi(false).try_init(),
    };
}

/// Plain text to standard error for the few lines written before the configuration is read
/// (a warning about an environment variable): the real subscriber needs the configuration.
pub fn before_config() -> impl tracing::Subscriber + Send + Sync {
    tracing_subscriber::fmt()
        .with_env_filter(EnvFilter::new("warn"))
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .finish()
}

#[cfg(test)]
mod tests {
    use super::filter_spec;

    #[test]
    fn the_scheduler_is_quiet_unless_the_filter_names_it() {
        assert_eq!(filter_spec(None, "info"), "info,tokio_cron_scheduler=warn");
        assert_eq!(filter_spec(Some("debug".into()), "info"), "debug,tokio_cron_scheduler=warn");
        assert_eq!(filter_spec(Some(" ".into()), "warn"), "warn,tokio_cron_scheduler=warn");
        assert_eq!(filter_spec(None, "info,tokio_cron_scheduler=debug"), "info,tokio_cron_scheduler=debug");
    }
}
