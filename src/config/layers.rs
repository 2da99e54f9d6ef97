//! The layers of a configuration: defaults < `galley.toml` (or `--config`) < `GALLEY_*`
//! environment variables < flags.
use super::{Config, ConfigError};
use std::path::{Path, PathBuf};

/// Values given on the command line; `None` leaves the lower layers alone.
#[derive(Debug, Default, Clone)]
pub struct Overrides {
    pub listen: Option<String>,
    pub data_dir: Option<PathBuf>,
    pub base_url: Option<String>,
}

const ENV_PREFIX: &str = "GALLEY_";

impl Config {
    /// Loads the layered configuration. `explicit` is `--config`; without it `galley.toml` in the
    /// working directory is read when present.
    pub fn load(explicit: Option<&Path>, overrides: &Overrides) -> Result<Self, ConfigError> {
        // GALLEY_LOG is the log filter (see `logging`), not a configuration key.
        let env: Vec<(String, String)> =
            std::env::vars().filter(|(k, _)| k.starts_with(ENV_PREFIX) && k != "GALLEY_LOG").collect();
        Self::load_from(explicit, &env, overrides)
    }

    pub fn load_from(
        explicit: Option<&Path>,
        env: &[(String, String)],
        overrides: &Overrides,
    ) -> Result<Self, ConfigError> {
        let mut config = match explicit {
            Some(path) => Self::from_file(path)?,
            None if Path::new("galley.toml").exists() => Self::from_file(Path::new("galley.toml"))?,
            None => Self::default(),
        };
        config.apply_env(env)?;
        if let Some(listen) = &overrides.listen {
            config.listen.clone_from(listen);
        }
        if let Some(dir) = &overrides.data_dir {
            config.data_dir.clone_from(dir);
        }
        if let Some(url) = &overrides.base_url {
            config.base_url.clone_from(url);
        }
        config.validate()?;
        Ok(config)
    }

    pub fn from_file(path: &Path) -> Result<Self, ConfigError> {
        let text =
            std::fs::read_to_string(path).map_err(|source| ConfigError::Read { path: path.to_owned(), source })?;
        Self::from_toml(&text).map_err(|message| ConfigError::Parse { path: path.to_owned(), message })
    }

    /// Parses TOML text; the error names the key and the line (toml's messages carry both).
    pub fn from_toml(text: &str) -> Result<Self, String> {
        toml::from_str(text).map_err(|e| e.to_string().trim_end().to_owned())
    }

    /// `GALLEY_LISTEN` sets `listen`; `GALLEY_PUBLISH__DELETE_MODE` sets `[publish] delete_mode`.
    fn apply_env(&mut self, env: &[(String, String)]) -> Result<(), ConfigError> {
        if env.is_empty() {
            return Ok(());
        }
        let mut table = toml::Table::try_from(&*self).map_err(|e| ConfigError::Invalid(e.to_string()))?;
        'vars: for (var, raw) in env {
            let path: Vec<String> = var[ENV_PREFIX.len()..].split("__").map(str::to_ascii_lowercase).collect();
            let env_error = |message: String| ConfigError::Env { var: var.clone(), message };
            let (key, sections) = path.split_last().ok_or_else(|| env_error("empty key".into()))?;
            let mut target = &mut table;
            for section in sections {
                let Some(next) = target.get_mut(section).and_then(toml::Value::as_table_mut) else {
                    tracing::warn!(variable = %var, "ignoring an environment variable that names no configuration section");
                    continue 'vars;
                };
                target = next;
            }
            if !target.contains_key(key) {
                // Scripts set GALLEY_-prefixed variables of their own (GALLEY_BIN…): not ours.
                tracing::warn!(variable = %var, "ignoring an environment variable that names no configuration key");
                continue;
            }
            target.insert(key.clone(), env_value(raw));
            // Checked per variable so the error names the one that is wrong.
            table.clone().try_into::<Config>().map_err(|e| env_error(e.message().to_owned()))?;
        }
        *self = table.try_into().map_err(|e: toml::de::Error| ConfigError::Invalid(e.message().to_owned()))?;
        Ok(())
    }
}

/// An environment value is TOML when it parses as one (`true`, `42`, `"x"`), otherwise a plain string.
fn env_value(raw: &str) -> toml::Value {
    toml::from_str::<toml::Table>(&format!("v = {raw}"))
        .ok()
        .and_then(|mut t| t.remove("v"))
        .unwrap_or_else(|| toml::Value::String(raw.to_owned()))
}
