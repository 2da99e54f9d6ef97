//! `Call`: what a handler needs to call a service, extracted once — the shared state and the
//! caller's address (by the trusted-proxy rule of `client_address`) — and the one way to run the
//! service off the async executor. A handler then reads: extract, `call.run(|state, ip| …)`, map.
use crate::error::AppError;
use crate::services::blocking;
use crate::state::AppState;
use actix_web::dev::Payload;
use actix_web::{web, FromRequest, HttpRequest};
use std::future::{ready, Ready};

pub struct Call {
    state: AppState,
    ip: Option<String>,
}

impl Call {
    /// Runs a blocking service call (SQL, bcrypt, files) on the blocking pool.
    pub async fn run<T: Send + 'static>(
        &self,
        service: impl FnOnce(&AppState, Option<&str>) -> Result<T, AppError> + Send + 'static,
    ) -> Result<T, AppError> {
        let (state, ip) = (self.state.clone(), self.ip.clone());
        blocking(move || service(&state, ip.as_deref())).await
    }

    /// The state, for what a handler does after the call (cookies, URLs).
    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// The client address (the trusted-proxy rule), for a service that is async itself.
    pub fn ip(&self) -> Option<&str> {
        self.ip.as_deref()
    }
}

impl FromRequest for Call {
    type Error = AppError;
    type Future = Ready<Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let state = req.app_data::<web::Data<AppState>>().map(|s| s.get_ref().clone());
        ready(
            state.map(|state| Call { state, ip: super::auth::client_ip(req) }).ok_or_else(|| {
                AppError::internal(anyhow::anyhow!("the application state is not mounted on this route"))
            }),
        )
    }
}
