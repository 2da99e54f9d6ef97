//! `galley serve`: run the server.
use super::{CliError, DataArgs};
use crate::config::Overrides;
use clap::Args;

#[derive(Args, Debug, Default, Clone)]
pub struct ServeArgs {
    #[command(flatten)]
    pub data: DataArgs,
    /// Address to listen on [default: 127.0.0.1:5000].
    #[arg(long, value_name = "ADDR")]
    pub listen: Option<String>,
    /// Public URL of this server, with any reverse-proxy path prefix [default: <http://LISTEN>].
    #[arg(long, value_name = "URL")]
    pub base_url: Option<String>,
}

pub fn run(args: &ServeArgs) -> Result<(), CliError> {
    let config =
        args.data.load(Overrides { listen: args.listen.clone(), base_url: args.base_url.clone(), data_dir: None })?;
    let state = crate::state::AppState::open(config)?;
    actix_web::rt::System::new().block_on(crate::app::serve(state))?;
    Ok(())
}
