//! `Call`: what a handler needs to call a service, extracted once — the shared state and the
//! caller's address (by the trusted-proxy rule of `client_address`) — and the one way to run the
//! service: `call.run(|state, ip| …)` off the async executor for a blocking service (SQL, bcrypt,
//! files), `call.run_async(|state, ip| …)` for a service that is async itself (it waits on an
//! upstream and runs its own SQL on the blocking pool). A handler then reads: extract, call, map.
use crate::error::AppError;
use crate::services::blocking;
use crate::state::AppState;
use actix_web::dev::Payload;
use actix_web::{web, FromRequest, HttpRequest};
use std::future::{ready, Future, Ready};

pub struct Call {
    /// The shared handle (one reference count), not a copy of the state's twenty: `Call` is
    /// extracted on the restore and download paths too.
    state: web::Data<AppState>,
    ip: Option<String>,
}

impl Call {
    /// The call of a request, for middleware (handlers take `Call` as an extractor).
    pub fn of(req: &HttpRequest) -> Result<Call, AppError> {
        let state = req
            .app_data::<web::Data<AppState>>()
            .cloned()
            .ok_or_else(|| AppError::internal(anyhow::anyhow!("the application state is not mounted on this route")))?;
        Ok(Call { state, ip: super::auth::client_ip(req) })
    }

    /// Runs a blocking service call (SQL, bcrypt, files) on the blocking pool.
    pub async fn run<T: Send + 'static>(
        &self,
        service: impl FnOnce(&AppState, Option<&str>) -> Result<T, AppError> + Send + 'static,
    ) -> Result<T, AppError> {
        let (state, ip) = (self.state.clone(), self.ip.clone());
        blocking(move || service(&state, ip.as_deref())).await
    }

    /// Runs a service that is async itself; it owns its state, since it hands it on to the
    /// blocking pool and to upstream calls.
    pub async fn run_async<T, F: Future<Output = Result<T, AppError>>>(
        &self,
        service: impl FnOnce(AppState, Option<String>) -> F,
    ) -> Result<T, AppError> {
        service(self.state.get_ref().clone(), self.ip.clone()).await
    }

    /// The state, for what a handler does before or after the call (authentication, cookies,
    /// URLs, the bytes it serves).
    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// The client address (the trusted-proxy rule).
    pub fn ip(&self) -> Option<&str> {
        self.ip.as_deref()
    }
}

impl FromRequest for Call {
    type Error = AppError;
    type Future = Ready<Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(Call::of(req))
    }
}
