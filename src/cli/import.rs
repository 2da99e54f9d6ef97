//! `galley import PATH...`: publish every .nupkg below the given folders through the same
//! publish service as a push, skipping duplicates and reporting bad files without stopping; then
//! every .snupkg found beside its .nupkg through the symbol push's service (the same checks).
use super::{open_state, CliError, DataArgs};
use crate::error::AppError;
use crate::services::{accounts, permissions::Principal, publish, symbols};
use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use std::path::PathBuf;

#[derive(Args, Debug)]
pub struct ImportArgs {
    /// Folders (or single .nupkg files) to import: a file share feed, a NuGet.Server `Packages`
    /// folder or an `id/version/` tree.
    #[arg(required_unless_present = "from_feed", conflicts_with = "from_feed")]
    pub paths: Vec<PathBuf>,
    /// Copy every package and version of a remote NuGet v3 feed (its service index URL) instead.
    #[arg(long, value_name = "URL")]
    pub from_feed: Option<String>,
    /// Basic credentials for --from-feed (a password, an API key or a personal access token).
    #[arg(long, requires = "from_feed", requires = "password")]
    pub username: Option<String>,
    #[arg(long, requires = "from_feed", requires = "username")]
    pub password: Option<String>,
    /// Make this user the owner of newly imported ids (default: no owner; an admin assigns one later).
    #[arg(long)]
    pub owner: Option<String>,
    #[command(flatten)]
    pub data: DataArgs,
}

#[derive(Debug, Default, PartialEq, Eq)]
pub struct ImportReport {
    pub imported: usize,
    /// Stored but waiting for a virus scan (the scanner was unavailable, or async mode).
    pub validating: usize,
    pub duplicates: usize,
    pub symbols: usize,
    pub failed: Vec<(PathBuf, String)>,
}

/// Every `.nupkg` below the paths (symbol packages excluded), sorted for a stable order.
pub fn find_packages(paths: &[PathBuf]) -> Vec<PathBuf> {
    files_below(paths, |p| {
        let name = p.file_name().map(|n| n.to_string_lossy().to_ascii_lowercase()).unwrap_or_default();
        std::path::Path::new(&name).extension().is_some_and(|e| e == "nupkg") && !name.ends_with(".symbols.nupkg")
    })
}

/// Every `.snupkg` below the paths with its `.nupkg` beside it (`X.1.0.0.snupkg` next to
/// `X.1.0.0.nupkg`, as `nuget pack -Symbols` writes them), sorted.
pub fn find_symbol_packages(paths: &[PathBuf]) -> Vec<PathBuf> {
    files_below(paths, |p| {
        p.extension().is_some_and(|e| e.eq_ignore_ascii_case("snupkg")) && p.with_extension("nupkg").is_file()
    })
}

/// The files below the paths (links followed) that `keep` accepts, sorted, each once.
fn files_below(paths: &[PathBuf], keep: impl Fn(&std::path::Path) -> bool) -> Vec<PathBuf> {
    let mut found: Vec<PathBuf> = paths
        .iter()
        .flat_map(|p| walkdir::WalkDir::new(p).follow_links(true).into_iter().filter_map(Result::ok))
        .filter(|e| e.file_type().is_file())
        .map(walkdir::DirEntry::into_path)
        .filter(|p| keep(p))
        .collect();
    found.sort();
    found.dedup();
    found
}

fn message(e: &AppError) -> String {
    match e {
        AppError::Internal(inner) => format!("{inner:#}"),
        other => other.to_string(),
    }
}

pub fn run(args: &ImportArgs) -> Result<(), CliError> {
    let state = open_state(&args.data)?;
    let owner = match &args.owner {
        Some(name) => Some(accounts::find_user(&state, name)?.id),
        None => None,
    };
    let principal = Principal::operator(owner, "import");
    if let Some(url) = &args.from_feed {
        return super::import_feed::run(&state, &principal, url, args.username.as_deref(), args.password.as_deref());
    }
    let files = find_packages(&args.paths);
    let bar = ProgressBar::new(files.len() as u64);
    bar.set_style(ProgressStyle::with_template("{bar:40} {pos}/{len} {wide_msg}").map_err(anyhow::Error::from)?);
    let mut report = ImportReport::default();
    for file in &files {
        bar.set_message(file.display().to_string());
        match publish::publish_file(&state, &principal, file, None) {
            Ok(publish::PushOutcome::Published(_)) => report.imported += 1,
            Ok(publish::PushOutcome::Accepted(..)) => report.validating += 1,
            Err(AppError::Conflict(_)) => report.duplicates += 1,
            Err(e) => {
                let message = message(&e);
                bar.suspend(|| eprintln!("skipped {}: {message}", file.display()));
                report.failed.push((file.clone(), message));
            }
        }
        bar.inc(1);
    }
    bar.finish_and_clear();
    let package_failures = report.failed.len();
    let symbol_files = find_symbol_packages(&args.paths);
    for file in &symbol_files {
        match symbols::publish_symbols(&state, &principal, file, None) {
            Ok(_) => report.symbols += 1,
            Err(e) => {
                let message = message(&e);
                eprintln!("skipped {}: {message}", file.display());
                report.failed.push((file.clone(), message));
            }
        }
    }
    println!(
        "Imported {} packages, skipped {} duplicates, {} failed (of {} found).",
        report.imported + report.validating,
        report.duplicates,
        package_failures,
        files.len()
    );
    if !symbol_files.is_empty() {
        println!(
            "Imported the symbols of {} packages, {} failed (of {} .snupkg files found).",
            report.symbols,
            symbol_files.len() - report.symbols,
            symbol_files.len()
        );
    }
    if report.validating > 0 {
        println!(
            "{} of them are held for a virus scan; they are published once it finds them clean.",
            report.validating
        );
    }
    if report.failed.is_empty() {
        Ok(())
    } else {
        Err(CliError {
            message: format!("{} files could not be imported", report.failed.len()),
            code: super::EXIT_FAILURE,
        })
    }
}
