//! Push, delete (unlist), relist over HTTP: status codes, messages, and that a refused push stores nothing.
use crate::helpers::{nupkg, nupkg_extra, nupkg_named, nuspec, spawn_app, spawn_app_with};
use std::io::Write;

#[test]
fn push_creates_and_the_first_pusher_owns_the_id() {
    let app = spawn_app();
    let (alice, key) = app.user_with_key("alice");
    let r = app.push(Some(&key), &nupkg("Acme.Core", "1.0.0"));
    assert_eq!(r.status(), 201);
    assert_eq!(r.text().unwrap(), "Published Acme.Core 1.0.0.");
    let owner = app.count(
        "SELECT user_id FROM package_owners o JOIN packages p ON p.id = o.package_key WHERE p.id_lower = 'acme.core'",
    );
    assert_eq!(owner, alice);
}

#[test]
fn raw_body_push_is_accepted_too() {
    let app = spawn_app();
    let (_, key) = app.user_with_key("alice");
    let r = app
        .client
        .put(app.url("/api/v2/package"))
        .header("X-NuGet-ApiKey", &key)
        .body(nupkg("Raw.Body", "1.0.0"))
        .send()
        .unwrap();
    assert_eq!(r.status(), 201);
}

#[test]
fn duplicate_push_is_409_comparing_normalized_versions_case_insensitively() {
    let app = spawn_app();
    let (_, key) = app.user_with_key("alice");
    assert_eq!(app.push(Some(&key), &nupkg("Acme.Core", "1.0.0-Beta")).status(), 201);
    let r = app.push(Some(&key), &nupkg("acme.core", "1.0.0.0-beta"));
    assert_eq!(r.status(), 409);
    assert_eq!(r.headers().get("content-type").unwrap(), "text/plain; charset=utf-8");
    assert_eq!(
        r.text().unwrap(),
        "A package with id 'acme.core' and version '1.0.0-beta' already exists and cannot be modified."
    );
    assert_eq!(app.stored(), (1, 1, 2));
}

#[test]
fn the_refusal_message_is_the_reason_phrase_the_client_prints() {
    let app = spawn_app();
    let (_, key) = app.user_with_key("alice");
    app.push(Some(&key), &nupkg("Acme.Core", "1.0.0"));
    // reqwest exposes only canonical reasons; read the raw status line instead.
    let body = nupkg("Acme.Core", "1.0.0");
    let mut stream = std::net::TcpStream::connect(app.base.trim_start_matches("http://")).unwrap();
    write!(stream, "PUT /api/v2/package HTTP/1.1\r\nHost: x\r\nX-NuGet-ApiKey: {key}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n", body.len()).unwrap();
    stream.write_all(&body).unwrap();
    let mut response = String::new();
    std::io::Read::read_to_string(&mut stream, &mut response).unwrap();
    assert!(
        response.starts_with(
            "HTTP/1.1 409 A package with id 'Acme.Core' and version '1.0.0' already exists and cannot be modified.\r\n"
        ),
        "{response}"
    );
}

#[test]
fn no_key_is_401_and_unknown_key_is_403() {
    let app = spawn_app();
    let r = app.push(None, &nupkg("Acme.Core", "1.0.0"));
    assert_eq!(r.status(), 401);
    assert_eq!(r.text().unwrap(), "An API key is required: pass it with -ApiKey or store it with 'nuget setApiKey'.");
    let r = app.push(Some("gly_not-a-real-key"), &nupkg("Acme.Core", "1.0.0"));
    assert_eq!(r.status(), 403);
    assert_eq!(r.text().unwrap(), "The API key is not valid for this server.");
    assert_eq!(app.stored(), (0, 0, 0));
}

#[test]
fn non_owner_cannot_push_a_new_version() {
    let app = spawn_app();
    let (_, alice) = app.user_with_key("alice");
    let (_, bob) = app.user_with_key("bob");
    assert_eq!(app.push(Some(&alice), &nupkg("Acme.Core", "1.0.0")).status(), 201);
    let r = app.push(Some(&bob), &nupkg("Acme.Core", "2.0.0"));
    assert_eq!(r.status(), 403);
    assert_eq!(
        r.text().unwrap(),
        "The package 'Acme.Core' is owned by another account; only its owners may push new versions of it."
    );
    assert_eq!(app.stored(), (1, 1, 2));
}

#[test]
fn scoped_keys_are_enforced() {
    let app = spawn_app();
    let alice = app.create_user("alice", false);
    let acme_only = app.create_key(alice, "push", &["Acme.*"]);
    let r = app.push(Some(&acme_only), &nupkg("Other.Lib", "1.0.0"));
    assert_eq!(r.status(), 403);
    assert_eq!(
        r.text().unwrap(),
        "This API key is not allowed to act on 'Other.Lib': it is limited to packages matching Acme.*."
    );
    assert_eq!(app.push(Some(&acme_only), &nupkg("Acme.Core", "1.0.0")).status(), 201);

    let version_only = app.create_key(alice, "push-version", &[]);
    let r = app.push(Some(&version_only), &nupkg("Brand.New", "1.0.0"));
    assert_eq!(r.status(), 403);
    assert_eq!(
        r.text().unwrap(),
        "This API key is not allowed to push new package ids (it has only the push-version scope)."
    );
    assert_eq!(app.push(Some(&version_only), &nupkg("Acme.Core", "1.1.0")).status(), 201);

    let r = app.delete(&acme_only, "Acme.Core", "1.0.0");
    assert_eq!(r.status(), 403);
    assert_eq!(
        r.text().unwrap(),
        "This API key is not allowed to unlist or relist packages (it lacks the unlist scope)."
    );
}

#[test]
fn expired_and_deleted_keys_are_refused_with_the_reason() {
    let app = spawn_app();
    let alice = app.create_user("alice", false);
    let key = app.create_key_days(alice, "push", &[], 1);
    app.advance(chrono::Duration::days(1) + chrono::Duration::seconds(1));
    let expired_on = app.text("SELECT substr(expires_at, 1, 10) FROM api_keys");
    let r = app.push(Some(&key), &nupkg("Acme.Core", "1.0.0"));
    assert_eq!(r.status(), 403);
    let text = r.text().unwrap();
    assert!(
        text.starts_with("The API key gly_") && text.ends_with(&format!("expired on {expired_on}; create a new one.")),
        "{text}"
    );
    // Deleted as `DELETE /api/keys/{id}` would (this test has no session): the deletion is named
    // first, even for a key that has also expired.
    app.sql("UPDATE api_keys SET revoked_at = expires_at");
    let r = app.push(Some(&key), &nupkg("Acme.Core", "1.0.0"));
    assert_eq!(r.status(), 403);
    assert!(r.text().unwrap().ends_with("was deleted; create a new one."));
    assert_eq!(app.stored(), (0, 0, 0));
}

/// Every malformed upload: exact status and message, and nothing stored.
#[test]
fn bad_packages_are_refused_and_nothing_is_stored() {
    let app = spawn_app_with(|c| {
        c.publish.max_entries = 50;
        c.publish.max_expanded_mb = 1;
    });
    let (_, key) = app.user_with_key("alice");
    let many: Vec<(String, Vec<u8>)> = (0..60).map(|i| (format!("content/f{i}.txt"), Vec::new())).collect();
    let many_refs: Vec<(&str, &[u8])> = many.iter().map(|(n, b)| (n.as_str(), b.as_slice())).collect();
    let big = vec![b'a'; 2 * 1024 * 1024];
    let two_nuspecs = {
        let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        for name in ["a.nuspec", "b.nuspec"] {
            zip.start_file(name, zip::write::SimpleFileOptions::default()).unwrap();
            zip.write_all(nuspec("A", "1.0.0", "").as_bytes()).unwrap();
        }
        zip.finish().unwrap().into_inner()
    };
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        ("not a zip", b"this is not a zip file".to_vec(), "The package is invalid: The package is not a valid zip archive."),
        ("no nuspec", nupkg_named_no_nuspec(), "The package is invalid: The package has no .nuspec file at its root."),
        ("two nuspecs", two_nuspecs, "The package is invalid: The package has more than one .nuspec file at its root."),
        ("nuspec not xml", nupkg_named("<package><metadata>", "X", &[]), "The package is invalid: The .nuspec file is not well-formed XML"),
        (
            "missing description",
            nupkg_named(&nuspec("X", "1.0.0", "").replace("<description>Description of X</description>", ""), "X", &[]),
            "The package is invalid: The .nuspec file is missing the required <description> element.",
        ),
        (
            "missing authors",
            nupkg_named(&nuspec("X", "1.0.0", "").replace("<authors>Test Author</authors>", ""), "X", &[]),
            "The package is invalid: The .nuspec file is missing the required <authors> element.",
        ),
        ("invalid id", nupkg("bad id", "1.0.0"), "The package is invalid: 'bad id' is not a valid package id: the package id contains ' '; only letters, digits, '.', '-' and '_' are allowed."),
        ("invalid version", nupkg("X", "1.0.0.0.0"), "The package is invalid: '1.0.0.0.0' is not a valid version string."),
        ("path traversal", nupkg_named(&nuspec("X", "1.0.0", ""), "X", &[("../evil.txt", b"x")]), "The package is invalid: The package contains an entry with an unsafe path: '../evil.txt'."),
        ("absolute path", nupkg_named(&nuspec("X", "1.0.0", ""), "X", &[("/etc/passwd", b"x")]), "The package is invalid: The package contains an entry with an unsafe path: '/etc/passwd'."),
        ("too many entries", nupkg_named(&nuspec("X", "1.0.0", ""), "X", &many_refs), "The package is invalid: The package has more than 50 entries."),
        ("zip bomb", nupkg_named(&nuspec("X", "1.0.0", ""), "X", &[("content/big.txt", &big)]), "The package is invalid: The package expands to more than 1048576 bytes."),
        (
            "dtd",
            nupkg_named(&format!("<?xml version=\"1.0\"?><!DOCTYPE lolz [<!ENTITY lol \"lol\">]>{}", nuspec("X", "1.0.0", "").split_once("?>").unwrap().1), "X", &[]),
            "The package is invalid: The .nuspec file contains a DTD, which is not allowed.",
        ),
    ];
    for (name, bytes, expected) in cases {
        let r = app.push(Some(&key), &bytes);
        assert_eq!(r.status(), 400, "{name}");
        let text = r.text().unwrap();
        assert!(text.starts_with(expected), "{name}: {text}");
        assert_eq!(app.stored(), (0, 0, 0), "{name} left something behind");
    }
    let tmp = app.state.config.data_dir.join("tmp");
    assert_eq!(std::fs::read_dir(tmp).map_or(0, Iterator::count), 0, "upload temp files left behind");
}

fn nupkg_named_no_nuspec() -> Vec<u8> {
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    zip.start_file("lib/a.dll", zip::write::SimpleFileOptions::default()).unwrap();
    zip.write_all(b"x").unwrap();
    zip.finish().unwrap().into_inner()
}

#[test]
fn empty_and_oversized_uploads_are_refused() {
    let app = spawn_app_with(|c| c.publish.max_package_mb = 1);
    let (_, key) = app.user_with_key("alice");
    let r = app.push(Some(&key), b"");
    assert_eq!(r.status(), 400);
    assert_eq!(r.text().unwrap(), "The upload contains no package: its file part 'package' is empty.");
    let r = app.push(Some(&key), &vec![0u8; 1024 * 1024 + 10]);
    assert_eq!(r.status(), 413);
    assert_eq!(r.text().unwrap(), "The package is larger than the server's limit of 1 MB.");
    assert_eq!(app.stored(), (0, 0, 0));
}

#[test]
fn concurrent_double_push_yields_one_201_and_one_409() {
    let app = spawn_app();
    let (_, key) = app.user_with_key("alice");
    for round in 0..5 {
        let bytes = nupkg("Race.Lib", &format!("1.0.{round}"));
        let statuses: Vec<u16> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..2).map(|_| s.spawn(|| app.push(Some(&key), &bytes).status().as_u16())).collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        let mut sorted = statuses.clone();
        sorted.sort_unstable();
        assert_eq!(sorted, vec![201, 409], "round {round}: {statuses:?}");
    }
    assert_eq!(app.stored(), (1, 5, 10));
}

/// Group commit (`db::group_commit`): eight concurrent pushes of one package give exactly one 201,
/// and the others today's 409 each; pushes committed in one batch keep their own outcomes.
#[test]
fn eight_concurrent_pushes_of_one_package_give_one_201() {
    let app = spawn_app();
    let (_, key) = app.user_with_key("alice");
    let bytes = nupkg("Crowd.Lib", "1.0.0");
    let answers: Vec<(u16, String)> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..8)
            .map(|_| {
                s.spawn(|| {
                    let r = app.push(Some(&key), &bytes);
                    (r.status().as_u16(), r.text().unwrap())
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert_eq!(answers.iter().filter(|(status, _)| *status == 201).count(), 1, "{answers:?}");
    for (status, text) in answers.iter().filter(|(status, _)| *status != 201) {
        assert_eq!(*status, 409, "{answers:?}");
        assert_eq!(text, "A package with id 'Crowd.Lib' and version '1.0.0' already exists and cannot be modified.");
    }
    assert_eq!(app.stored(), (1, 1, 2));

    // Sixteen pushes at once: eight versions of one new id, each twice. Each version is created
    // once, whichever batch its pushes land in, and the rest of its batch commits beside a 409.
    let answers: Vec<(String, u16)> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..16)
            .map(|i| {
                let (app, key) = (&app, &key);
                s.spawn(move || {
                    let version = format!("2.0.{}", i % 8);
                    (version.clone(), app.push(Some(key), &nupkg("Batch.Lib", &version)).status().as_u16())
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    for v in 0..8 {
        let mut statuses: Vec<u16> =
            answers.iter().filter(|(version, _)| *version == format!("2.0.{v}")).map(|(_, s)| *s).collect();
        statuses.sort_unstable();
        assert_eq!(statuses, [201, 409], "2.0.{v}: {answers:?}");
        let url = format!("/v3/flatcontainer/batch.lib/2.0.{v}/batch.lib.2.0.{v}.nupkg");
        assert_eq!(app.get(&url).status(), 200);
    }
    assert_eq!(app.stored(), (2, 9, 18));
}

#[test]
fn unlist_hides_from_search_and_latest_but_keeps_restore() {
    let app = spawn_app();
    let (_, key) = app.user_with_key("alice");
    app.push(Some(&key), &nupkg("Acme.Core", "1.0.0"));
    app.push(Some(&key), &nupkg("Acme.Core", "2.0.0"));
    let r = app.delete(&key, "Acme.Core", "2.0.0");
    assert_eq!(r.status(), 204);
    let search = app.get_json("/v3/query?q=Acme.Core");
    assert_eq!(search["data"][0]["version"], "1.0.0");
    assert_eq!(search["data"][0]["versions"].as_array().unwrap().len(), 1);
    assert_eq!(
        app.get_json("/v3/flatcontainer/acme.core/index.json")["versions"],
        serde_json::json!(["1.0.0", "2.0.0"])
    );
    let reg = app.get_json("/v3/registration/acme.core/index.json");
    let leaves = reg["items"][0]["items"].as_array().unwrap();
    assert_eq!(leaves[1]["catalogEntry"]["listed"], false);
    assert_eq!(leaves[1]["catalogEntry"]["published"], "1900-01-01T00:00:00+00:00");
    assert_eq!(app.get("/v3/flatcontainer/acme.core/2.0.0/acme.core.2.0.0.nupkg").status(), 200);
    assert_eq!(app.relist(&key, "Acme.Core", "2.0.0").status(), 204);
    assert_eq!(app.get_json("/v3/query?q=Acme.Core")["data"][0]["version"], "2.0.0");
}

#[test]
fn unlist_by_a_non_owner_or_of_an_unknown_version_is_refused() {
    let app = spawn_app();
    let (_, alice) = app.user_with_key("alice");
    let (_, bob) = app.user_with_key("bob");
    app.push(Some(&alice), &nupkg("Acme.Core", "1.0.0"));
    let r = app.delete(&bob, "Acme.Core", "1.0.0");
    assert_eq!(r.status(), 403);
    assert_eq!(
        r.text().unwrap(),
        "The package 'Acme.Core' is owned by another account; only its owners may unlist or relist it."
    );
    let r = app.delete(&alice, "Acme.Core", "9.9.9");
    assert_eq!(r.status(), 404);
    assert_eq!(r.text().unwrap(), "The package 'Acme.Core' version '9.9.9' does not exist.");
    let r = app.client.delete(app.url("/api/v2/package/Acme.Core/1.0.0")).send().unwrap();
    assert_eq!(r.status(), 401);
}

#[test]
fn hard_delete_for_admins_removes_files_and_reserves_the_version() {
    let app = spawn_app_with(|c| c.publish.delete_mode = galley::config::DeleteMode::Hard);
    let admin = app.create_user("root", true);
    let admin_key = app.create_key(admin, "push,unlist", &[]);
    let (_, alice) = app.user_with_key("alice");
    app.push(Some(&alice), &nupkg("Acme.Core", "1.0.0"));
    app.push(Some(&alice), &nupkg("Acme.Core", "1.1.0"));
    // An owner who is not an admin still only unlists.
    assert_eq!(app.delete(&alice, "Acme.Core", "1.1.0").status(), 204);
    assert_eq!(app.get("/v3/flatcontainer/acme.core/1.1.0/acme.core.1.1.0.nupkg").status(), 200);
    assert_eq!(app.delete(&admin_key, "Acme.Core", "1.0.0").status(), 204);
    assert_eq!(app.get("/v3/flatcontainer/acme.core/1.0.0/acme.core.1.0.0.nupkg").status(), 404);
    assert!(!app.state.config.packages_dir().join("acme.core/1.0.0").exists());
    let r = app.push(Some(&alice), &nupkg("Acme.Core", "1.0.0"));
    assert_eq!(r.status(), 409);
    assert_eq!(
        r.text().unwrap(),
        "The package 'Acme.Core' version '1.0.0' was deleted and its version number cannot be reused; push a new version."
    );
}

#[test]
fn pushed_package_is_searchable_when_push_returns() {
    let app = spawn_app();
    let (_, key) = app.user_with_key("alice");
    for i in 0..20 {
        let id = format!("Instant.Pkg{i}");
        assert_eq!(app.push(Some(&key), &nupkg_extra(&id, "1.0.0", "<tags>instant</tags>")).status(), 201);
        let search = app.get_json(&format!("/v3/query?q=packageid:{id}"));
        assert_eq!(search["totalHits"], 1, "{id} not searchable right after its push");
        assert_eq!(
            app.get(&format!("/v3/flatcontainer/{}/1.0.0/{}.1.0.0.nupkg", id.to_lowercase(), id.to_lowercase()))
                .status(),
            200
        );
    }
}

/// nuget.exe with `-Source {base}/api/v2/` PUTs to `/api/v2/` and DELETEs `/api/v2/{id}/{version}`.
#[test]
fn publish_routes_under_the_v2_feed_root_work_too() {
    let app = spawn_app();
    let (_, key) = app.user_with_key("alice");
    let part = reqwest::blocking::multipart::Part::bytes(nupkg("Acme.Core", "1.0.0")).file_name("package.nupkg");
    let form = reqwest::blocking::multipart::Form::new().part("package", part);
    let r = app.client.put(app.url("/api/v2/")).header("X-NuGet-ApiKey", &key).multipart(form).send().unwrap();
    assert_eq!(r.status(), 201);
    let r = app.client.delete(app.url("/api/v2/Acme.Core/1.0.0")).header("X-NuGet-ApiKey", &key).send().unwrap();
    assert_eq!(r.status(), 204);
    assert_eq!(app.get_json("/v3/query?q=Acme.Core")["totalHits"], 0);
    let r = app.client.post(app.url("/api/v2/Acme.Core/1.0.0")).header("X-NuGet-ApiKey", &key).send().unwrap();
    assert_eq!(r.status(), 204);
    assert_eq!(app.get_json("/v3/query?q=Acme.Core")["totalHits"], 1);
}
