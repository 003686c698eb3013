//! Who is calling: the `Caller` extractor reads `Authorization: Bearer <token>`.

use super::run;
use crate::domain::caller::Caller;
use crate::services::{auth, Ctx, ServiceError};
use actix_web::dev::Payload;
use actix_web::{web, FromRequest, HttpRequest};
use std::future::Future;
use std::pin::Pin;

impl FromRequest for Caller {
    type Error = ServiceError;
    type Future = Pin<Box<dyn Future<Output = Result<Caller, ServiceError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let ctx = req.app_data::<web::Data<Ctx>>().cloned();
        let token = bearer(req);
        Box::pin(async move {
            let ctx = ctx.ok_or_else(|| ServiceError::Internal(anyhow::anyhow!("no service context")))?;
            let token = token?;
            run(ctx, move |ctx| auth::authenticate(ctx, &token)).await
        })
    }
}

fn bearer(req: &HttpRequest) -> Result<String, ServiceError> {
    let header =
        req.headers().get(actix_web::http::header::AUTHORIZATION).ok_or(ServiceError::Unauthenticated(
            "sign in: send Authorization: Bearer <token> (POST /api/v1/auth/token gives one)",
        ))?;
    let value = header.to_str().unwrap_or_default();
    match value.split_once(' ') {
        Some((scheme, token)) if scheme.eq_ignore_ascii_case("bearer") && !token.trim().is_empty() => {
            Ok(token.trim().to_owned())
        }
        _ => Err(ServiceError::Unauthenticated("the Authorization header must be `Bearer <token>`")),
    }
}
