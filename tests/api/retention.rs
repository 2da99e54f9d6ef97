//! Retention with a CI-like prerelease stream: the dry run lists exactly what would go (and what
//! stays against the rules, and why), the job unlists it, the feeds follow, the audit log has it.
use crate::helpers::{nupkg_extra, spawn_app_with, TestApp};
use galley::config::{RetentionAction, RetentionRule};

/// 30 prereleases and three stable versions of Acme.Lib, and Acme.App 1.0.0 needing ci.5.
fn ci_stream(action: RetentionAction) -> TestApp {
    let app = spawn_app_with(|c| {
        c.retention = vec![RetentionRule {
            ids: vec!["ACME.*".into()],
            keep_latest_prerelease: 10,
            keep_latest_stable: 0,
            older_than_days: 0,
            action,
        }];
    });
    let (_, key) = app.user_with_key("ci");
    for v in ["1.0.0", "1.1.0", "1.2.0"] {
        app.push_ok(&key, "Acme.Lib", v);
    }
    for n in 1..=30 {
        app.push_ok(&key, "Acme.Lib", &format!("2.0.0-ci.{n}"));
    }
    let deps = r#"<dependencies><group targetFramework="net8.0"><dependency id="Acme.Lib" version="[2.0.0-ci.5, )" /></group></dependencies>"#;
    assert_eq!(app.push(Some(&key), &nupkg_extra("Acme.App", "1.0.0", deps)).status(), 201);
    app
}

fn gone() -> Vec<String> {
    (1..=20).filter(|n| *n != 5).map(|n| format!("2.0.0-ci.{n}")).collect()
}

#[test]
fn the_dry_run_lists_the_job_unlists_and_the_feeds_follow() {
    let app = ci_stream(RetentionAction::Unlist);
    let data = &app.state.config.data_dir;
    let config = data.parent().unwrap().join("galley.toml");
    std::fs::write(
        &config,
        "[[retention]]\nids = [\"ACME.*\"]\nkeep_latest_prerelease = 10\nkeep_latest_stable = 0\naction = \"unlist\"\n",
    )
    .unwrap();
    let out = app
        .command()
        .args(["retention", "--dry-run", "--config"])
        .arg(&config)
        .arg("--data-dir")
        .arg(data)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let mut expected: Vec<String> = gone().iter().map(|v| format!("would unlist Acme.Lib {v} (rule 1)")).collect();
    expected.push("kept Acme.Lib 2.0.0-ci.5: Acme.App 1.0.0 depends on it".into());
    expected.push("retention: 19 versions would be unlisted, 0 deleted.".into());
    assert_eq!(String::from_utf8_lossy(&out.stdout).lines().collect::<Vec<_>>(), expected);
    // A dry run changes nothing.
    assert_eq!(app.count("SELECT COUNT(*) FROM package_versions WHERE listed = 0"), 0);

    let result = galley::jobs::Job::Retention.run(&app.state).unwrap().unwrap();
    assert_eq!(result, "19 versions unlisted, 0 deleted");
    assert_eq!(app.count("SELECT COUNT(*) FROM package_versions WHERE listed = 0"), 19);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM audit_log WHERE action = 'package.unlist' AND actor_name = 'retention'"),
        19
    );
    // Unlisted: still restorable (flat container), gone from search and listed in the registration as such.
    let flat = app.get_json("/v3/flatcontainer/acme.lib/index.json");
    assert_eq!(flat["versions"].as_array().unwrap().len(), 33);
    let search = app.get_json("/v3/query?q=Acme.Lib&prerelease=true&semVerLevel=2.0.0");
    let lib = search["data"].as_array().unwrap().iter().find(|p| p["id"] == "Acme.Lib").unwrap();
    let listed: Vec<&str> =
        lib["versions"].as_array().unwrap().iter().map(|v| v["version"].as_str().unwrap()).collect();
    assert_eq!(listed.len(), 14, "{listed:?}");
    assert!(listed.contains(&"2.0.0-ci.5") && listed.contains(&"1.0.0") && !listed.contains(&"2.0.0-ci.4"));
    // SemVer 2.0 prereleases: only in the gzip-encoded SemVer 2.0 hive.
    // The test client may already have inflated the gzip body (reqwest's `gzip` feature, which the
    // upstream client enables for the whole build): inflate only what is still gzip.
    let body = app.get("/v3/registration-gz-semver2/acme.lib/index.json").bytes().unwrap();
    let mut text = String::new();
    if body.starts_with(&[0x1f, 0x8b]) {
        std::io::Read::read_to_string(&mut flate2::read::GzDecoder::new(&body[..]), &mut text).unwrap();
    } else {
        text = String::from_utf8(body.to_vec()).unwrap();
    }
    let reg: serde_json::Value = serde_json::from_str(&text).unwrap();
    let unlisted =
        reg["items"][0]["items"].as_array().unwrap().iter().filter(|l| l["catalogEntry"]["listed"] == false).count();
    assert_eq!(unlisted, 19);
    // A second run finds nothing left to do.
    assert_eq!(galley::jobs::Job::Retention.run(&app.state).unwrap().unwrap(), "0 versions unlisted, 0 deleted");
}

#[test]
fn a_delete_rule_removes_the_files_but_keeps_the_latest_stable_and_dependencies() {
    let app = ci_stream(RetentionAction::Delete);
    let result = galley::jobs::Job::Retention.run(&app.state).unwrap().unwrap();
    assert_eq!(result, "0 versions unlisted, 19 deleted");
    let flat = app.get_json("/v3/flatcontainer/acme.lib/index.json");
    let versions: Vec<&str> = flat["versions"].as_array().unwrap().iter().map(|v| v.as_str().unwrap()).collect();
    assert_eq!(versions.len(), 14);
    assert!(versions.contains(&"2.0.0-ci.5") && versions.contains(&"1.2.0"));
    assert_eq!(app.get("/v3/flatcontainer/acme.lib/2.0.0-ci.4/acme.lib.2.0.0-ci.4.nupkg").status(), 404);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM audit_log WHERE action = 'package.delete' AND actor_name = 'retention'"),
        19
    );
}
