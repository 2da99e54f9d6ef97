//! The example file against the defaults, the order of the layers, and the checks.
use super::*;

#[test]
fn example_file_matches_the_defaults() {
    let text = include_str!("../../config.example.toml");
    assert_eq!(Config::from_toml(text).unwrap(), Config::default());
}

/// Every key path of a TOML table, e.g. `publish.max_package_mb`.
fn key_paths(table: &toml::Table, prefix: &str, out: &mut Vec<String>) {
    for (key, value) in table {
        let path = format!("{prefix}{key}");
        match value {
            toml::Value::Table(inner) => key_paths(inner, &format!("{path}."), out),
            _ => out.push(path),
        }
    }
}

#[test]
fn example_file_documents_every_key() {
    // Parsing alone cannot catch a key missing from the example: serde's defaults fill it in.
    let example: toml::Table = toml::from_str(include_str!("../../config.example.toml")).unwrap();
    let defaults = toml::Table::try_from(Config::default()).unwrap();
    let (mut documented, mut known) = (Vec::new(), Vec::new());
    key_paths(&example, "", &mut documented);
    key_paths(&defaults, "", &mut known);
    documented.sort();
    known.sort();
    assert_eq!(documented, known, "config.example.toml must show every key of Config");
}

/// The commented `[[upstream]]` example, uncommented, shows every key of an upstream with its
/// default (the name and url aside, which have none).
#[test]
fn example_file_documents_every_upstream_key() {
    let text = include_str!("../../config.example.toml");
    let block: String = text
        .lines()
        .skip_while(|l| *l != "# [[upstream]]")
        .filter_map(|l| l.strip_prefix("# "))
        .filter(|l| !l.starts_with("# "))
        .flat_map(|l| [l, "\n"])
        .collect();
    let example = Config::from_toml(&block).unwrap();
    let [upstream] = example.upstream.as_slice() else { panic!("one [[upstream]] example: {block}") };
    let expected = UpstreamConfig {
        name: "nuget.org".into(),
        url: "https://api.nuget.org/v3/index.json".into(),
        ..UpstreamConfig::default()
    };
    assert_eq!(upstream, &expected);
    let table: toml::Table = toml::from_str(&block).unwrap();
    let mut documented: Vec<String> =
        table["upstream"].as_array().unwrap()[0].as_table().unwrap().keys().cloned().collect();
    let mut known: Vec<String> = toml::Table::try_from(UpstreamConfig::default()).unwrap().keys().cloned().collect();
    documented.sort();
    known.sort();
    assert_eq!(documented, known);
    example.validate().unwrap();
}

/// The commented `[[oidc]]` example, uncommented, shows every key of a provider with its
/// default (name, issuer and client credentials aside, which have none).
#[test]
fn example_file_documents_every_oidc_key() {
    let block: String = include_str!("../../config.example.toml")
        .lines()
        .skip_while(|l| *l != "# [[oidc]]")
        .take_while(|l| l.starts_with('#'))
        .filter_map(|l| l.strip_prefix("# "))
        .filter(|l| !l.starts_with("# "))
        .flat_map(|l| [l, "\n"])
        .collect();
    let example = Config::from_toml(&block).unwrap();
    let [provider] = example.oidc.as_slice() else { panic!("one [[oidc]] example: {block}") };
    let expected = OidcConfig {
        name: "corp".into(),
        issuer: "https://login.example.com/realms/corp".into(),
        client_id: "galley".into(),
        client_secret: "from-the-provider".into(),
        ..OidcConfig::default()
    };
    assert_eq!(provider, &expected);
    let table: toml::Table = toml::from_str(&block).unwrap();
    let mut documented: Vec<String> =
        table["oidc"].as_array().unwrap()[0].as_table().unwrap().keys().cloned().collect();
    let mut known: Vec<String> = toml::Table::try_from(OidcConfig::default()).unwrap().keys().cloned().collect();
    documented.sort();
    known.sort();
    assert_eq!(documented, known);
    example.validate().unwrap();
}

#[test]
fn bad_value_names_the_key_and_line() {
    let err = Config::from_toml("listen = \"127.0.0.1:1\"\n[publish]\ndelete_mode = \"shred\"\n").unwrap_err();
    assert!(err.contains("line 3"), "{err}");
    assert!(err.contains("delete_mode"), "{err}");
}

#[test]
fn unknown_key_is_an_error() {
    let err = Config::from_toml("[feed]\nrequire_auht = true\n").unwrap_err();
    assert!(err.contains("require_auht") && err.contains("line 2"), "{err}");
}

#[test]
fn layers_apply_in_order() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("g.toml");
    std::fs::write(&file, "listen = \"127.0.0.1:6000\"\n[feed]\nv2_page_size = 7\n").unwrap();
    let env = vec![
        ("GALLEY_LISTEN".to_owned(), "127.0.0.1:7000".to_owned()),
        ("GALLEY_FEED__REQUIRE_AUTH".to_owned(), "true".to_owned()),
    ];
    let flags = Overrides { listen: Some("127.0.0.1:8000".into()), ..Overrides::default() };
    let config = Config::load_from(Some(&file), &env, &flags).unwrap();
    assert_eq!(config.listen, "127.0.0.1:8000");
    assert!(config.feed.require_auth);
    assert_eq!(config.feed.v2_page_size, 7);
    let config = Config::load_from(Some(&file), &env, &Overrides::default()).unwrap();
    assert_eq!(config.listen, "127.0.0.1:7000");
}

#[test]
fn unknown_env_keys_are_ignored_but_bad_values_are_errors() {
    let env = vec![
        ("GALLEY_FEED__NOPE".to_owned(), "1".to_owned()),
        ("GALLEY_BIN".to_owned(), "/usr/bin/galley".to_owned()),
        ("GALLEY_NOSECTION__X".to_owned(), "1".to_owned()),
    ];
    assert_eq!(Config::load_from(None, &env, &Overrides::default()).unwrap(), Config::default());
    let env = vec![("GALLEY_FEED__V2_PAGE_SIZE".to_owned(), "many".to_owned())];
    let err = Config::load_from(None, &env, &Overrides::default()).unwrap_err();
    assert!(
        err.to_string().starts_with("invalid environment variable GALLEY_FEED__V2_PAGE_SIZE: invalid type"),
        "{err}"
    );
}

#[test]
fn log_settings_are_checked() {
    let env = vec![("GALLEY_LOG__LEVEL".to_owned(), "galley=loud".to_owned())];
    let err = Config::load_from(None, &env, &Overrides::default()).unwrap_err().to_string();
    assert!(err.starts_with("invalid configuration: [log] level = 'galley=loud' is not a level"), "{err}");
    let env = vec![("GALLEY_LOG__FORMAT".to_owned(), "xml".to_owned())];
    let err = Config::load_from(None, &env, &Overrides::default()).unwrap_err().to_string();
    assert!(err.starts_with("invalid environment variable GALLEY_LOG__FORMAT: unknown variant `xml`"), "{err}");
    let env = vec![("GALLEY_LOG__FORMAT".to_owned(), "json".to_owned())];
    assert_eq!(Config::load_from(None, &env, &Overrides::default()).unwrap().log.format, LogFormat::Json);
}

#[test]
fn mail_settings_are_checked() {
    let mut config = Config::default();
    config.mail.smtp_url = "http://mail".into();
    assert!(config.validate().unwrap_err().to_string().contains("smtp_url"));
    config.mail.smtp_url = "smtps://mail.example.com:465".into();
    config.mail.from = "not an address".into();
    assert!(config.validate().unwrap_err().to_string().contains("[mail] from"));
}

#[test]
fn base_url_defaults_to_listen_address() {
    let config = Config::default();
    assert_eq!(config.public_base_url(), "http://127.0.0.1:5000");
    let config = Config { base_url: "https://example.org/nuget/".into(), ..Config::default() };
    assert_eq!(config.public_base_url(), "https://example.org/nuget");
}
