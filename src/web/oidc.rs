//! Signing in with the organisation's identity provider (OpenID Connect): the
//! authorization code flow with PKCE, `state` and `nonce`, against any provider found by
//! discovery. The ID token's signature, issuer, audience, expiry and nonce are verified by
//! `openidconnect`; what the token says (subject, email, name, groups) is then read from
//! its verified payload, so the email and groups claims can be named in the settings.
//! The account, its roles and the session are made by `services::oidc` in one transaction.
//!
//! The flow's secrets (state, nonce, PKCE verifier) wait in the encrypted session cookie
//! and are taken out at the callback: a replayed or forged callback finds none.

use crate::config::Config;
use crate::services::oidc::Identity;
use actix_session::Session;
use anyhow::{anyhow, Context as _};
use base64::Engine as _;
use openidconnect::core::{CoreAuthenticationFlow, CoreClient};
use openidconnect::{
    reqwest, AuthorizationCode, ClientId, ClientSecret, CsrfToken, IssuerUrl, Nonce, PkceCodeChallenge,
    PkceCodeVerifier, PostLogoutRedirectUrl, ProviderMetadataWithLogout, RedirectUrl, Scope,
};
use serde::{Deserialize, Serialize};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How long discovered metadata (endpoints and signing keys) is used before it is read
/// again: a provider's key rotation is picked up within this time.
const METADATA_TTL: Duration = Duration::from_secs(3600);

/// How long a started sign-in may take at the provider.
const PENDING_SECONDS: i64 = 600;

/// The session key of a sign-in under way.
const PENDING: &str = "oidc";

/// The identity provider as configured, with its discovered metadata cached.
pub struct Oidc {
    issuer: IssuerUrl,
    client_id: ClientId,
    secret: Option<ClientSecret>,
    redirect: RedirectUrl,
    after_logout: String,
    scopes: Vec<String>,
    email_claim: String,
    groups_claim: String,
    http: reqwest::Client,
    metadata: Mutex<Option<(Instant, ProviderMetadataWithLogout)>>,
}

/// What waits in the session between the redirect to the provider and its callback.
#[derive(Serialize, Deserialize)]
struct Pending {
    state: String,
    nonce: String,
    verifier: String,
    next: String,
    started: i64,
}

/// Why a sign-in with the provider failed, as the sign-in page words it.
#[derive(Debug)]
pub enum Failure {
    /// The callback's state is not the one this browser started with (forged, replayed,
    /// or the sign-in was started in another browser or too long ago).
    State,
    /// The provider said no (the person cancelled, or it refused).
    Provider(String),
    /// The token exchange or the ID token failed verification; the cause is logged.
    Token(anyhow::Error),
    /// The provider could not be reached or its metadata read; the cause is logged.
    Unreachable(anyhow::Error),
    /// The token has no usable email.
    NoEmail,
}

impl Oidc {
    /// The provider of `config`, if `oidc_issuer` is set.
    pub fn from_config(config: &Config) -> anyhow::Result<Option<Oidc>> {
        let Some(issuer) = &config.oidc_issuer else { return Ok(None) };
        let base = config.base_url.trim_end_matches('/');
        let http = reqwest::Client::builder()
            // Following redirects would open the client to server-side request forgery.
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(10))
            .build()
            .context("the HTTP client for the identity provider")?;
        Ok(Some(Oidc {
            // As written: discovery compares the provider's `issuer` with it character for
            // character, and some (Auth0) end theirs with a slash.
            issuer: IssuerUrl::new(issuer.clone()).context("oidc_issuer")?,
            client_id: ClientId::new(config.oidc_client_id.clone().unwrap_or_default()),
            secret: config.oidc_secret()?.map(ClientSecret::new),
            redirect: RedirectUrl::new(format!("{base}/sign-in/oidc/callback")).context("base_url")?,
            after_logout: format!("{base}/sign-in"),
            scopes: config.oidc_scopes.clone(),
            email_claim: config.oidc_email_claim.clone(),
            groups_claim: config.oidc_groups_claim.clone(),
            http,
            metadata: Mutex::new(None),
        }))
    }

    /// The provider's metadata: cached, read again by discovery after `METADATA_TTL` or
    /// when `fresh` is asked for (a token signed with a key not seen yet).
    async fn metadata(&self, fresh: bool) -> anyhow::Result<ProviderMetadataWithLogout> {
        if !fresh {
            let cached = self.metadata.lock().map_err(|_| anyhow!("metadata lock"))?;
            if let Some((_, metadata)) = cached.as_ref().filter(|(at, _)| at.elapsed() < METADATA_TTL) {
                return Ok(metadata.clone());
            }
        }
        let metadata = ProviderMetadataWithLogout::discover_async(self.issuer.clone(), &self.http)
            .await
            .map_err(|e| anyhow!("discovery at {}: {e}", self.issuer.as_str()))?;
        *self.metadata.lock().map_err(|_| anyhow!("metadata lock"))? =
            Some((Instant::now(), metadata.clone()));
        Ok(metadata)
    }

    fn client(
        &self,
        metadata: ProviderMetadataWithLogout,
    ) -> openidconnect::core::CoreClient<
        openidconnect::EndpointSet,
        openidconnect::EndpointNotSet,
        openidconnect::EndpointNotSet,
        openidconnect::EndpointNotSet,
        openidconnect::EndpointMaybeSet,
        openidconnect::EndpointMaybeSet,
    > {
        CoreClient::from_provider_metadata(metadata, self.client_id.clone(), self.secret.clone())
            .set_redirect_uri(self.redirect.clone())
    }

    /// Starts a sign-in: the provider's authorization address to send the browser to; the
    /// flow's secrets wait in the session, with `next` (where to land afterwards).
    pub async fn start(&self, session: &Session, next: &str, now: i64) -> Result<String, Failure> {
        let metadata = self.metadata(false).await.map_err(Failure::Unreachable)?;
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let client = self.client(metadata);
        let mut request = client.authorize_url(
            CoreAuthenticationFlow::AuthorizationCode,
            CsrfToken::new_random,
            Nonce::new_random,
        );
        for scope in &self.scopes {
            request = request.add_scope(Scope::new(scope.clone()));
        }
        let (url, state, nonce) = request.set_pkce_challenge(challenge).url();
        let pending = Pending {
            state: state.secret().clone(),
            nonce: nonce.secret().clone(),
            verifier: verifier.secret().clone(),
            next: next.to_owned(),
            started: now,
        };
        session.insert(PENDING, pending).map_err(|e| Failure::Unreachable(anyhow!("session: {e}")))?;
        Ok(url.to_string())
    }

    /// Finishes a sign-in at the callback: checks `state` against the one waiting in the
    /// session (taken out, so it is used once), exchanges the code (with the PKCE
    /// verifier), verifies the ID token and reads who it names. With the raw ID token (for
    /// signing out at the provider) and where to land.
    pub async fn finish(
        &self,
        session: &Session,
        callback: &Callback,
        now: i64,
    ) -> Result<(Identity, String, String), Failure> {
        let pending = session.remove_as::<Pending>(PENDING).and_then(Result::ok).ok_or(Failure::State)?;
        let given = callback.state.as_deref().unwrap_or_default();
        if !super::session::same_secret(given.as_bytes(), pending.state.as_bytes())
            || now - pending.started > PENDING_SECONDS
        {
            return Err(Failure::State);
        }
        if let Some(error) = &callback.error {
            let described = callback.error_description.as_deref().unwrap_or_default();
            return Err(Failure::Provider(format!("{error} {described}").trim().to_owned()));
        }
        let code = callback.code.clone().ok_or_else(|| Failure::Provider("no code".into()))?;
        let metadata = self.metadata(false).await.map_err(Failure::Unreachable)?;
        let client = self.client(metadata);
        let response = client
            .exchange_code(AuthorizationCode::new(code))
            .map_err(|e| Failure::Token(anyhow!("the provider names no token endpoint: {e}")))?
            .set_pkce_verifier(PkceCodeVerifier::new(pending.verifier))
            .request_async(&self.http)
            .await
            .map_err(|e| Failure::Token(anyhow!("the code exchange failed: {e}")))?;
        use openidconnect::TokenResponse as _;
        let id_token = response.id_token().ok_or_else(|| Failure::Token(anyhow!("no ID token")))?;
        let nonce = Nonce::new(pending.nonce);
        use openidconnect::ClaimsVerificationError as Refused;
        let verified = match id_token.claims(&client.id_token_verifier(), &nonce).map(|_| ()) {
            // Perhaps a key rotated since the metadata was read: read it again once, then
            // decide (only for a signature; any other refusal stands).
            Err(Refused::SignatureVerification(_)) => {
                let again = self.client(self.metadata(true).await.map_err(Failure::Unreachable)?);
                let checked = id_token.claims(&again.id_token_verifier(), &nonce).map(|_| ());
                checked
            }
            other => other,
        };
        verified.map_err(|e| Failure::Token(anyhow!("the ID token is not valid: {e}")))?;
        let raw = id_token.to_string();
        let claims = payload(&raw).map_err(Failure::Token)?;
        let identity = self.identity(&claims)?;
        Ok((identity, raw, pending.next))
    }

    /// Who the verified claims name.
    fn identity(&self, claims: &serde_json::Value) -> Result<Identity, Failure> {
        let text = |name: &str| claims.get(name).and_then(|v| v.as_str()).map(str::trim).unwrap_or_default();
        let subject = text("sub");
        if subject.is_empty() {
            return Err(Failure::Token(anyhow!("the ID token has no subject")));
        }
        // Refused when the provider says the address is not verified (some send the flag
        // as a string); a provider that sends no flag (Entra ID) vouches for its emails.
        let unverified = match claims.get("email_verified") {
            Some(serde_json::Value::Bool(verified)) => !verified,
            Some(serde_json::Value::String(flag)) => !flag.eq_ignore_ascii_case("true"),
            _ => false,
        };
        if unverified {
            return Err(Failure::NoEmail);
        }
        let email =
            crate::services::users::parse_email(text(&self.email_claim)).map_err(|_| Failure::NoEmail)?;
        let name = Some(text("name"))
            .filter(|n| !n.is_empty())
            .map(|n| n.chars().filter(|c| !c.is_control()).take(200).collect());
        // An absent claim is not "no groups": the provider left it out (too many groups,
        // or the scope was not granted), so the roles it governs are left as they are.
        let groups = match claims.get(&self.groups_claim) {
            Some(serde_json::Value::Array(list)) => {
                Some(list.iter().filter_map(|g| g.as_str()).map(str::to_owned).collect())
            }
            Some(serde_json::Value::String(one)) => Some(vec![one.clone()]),
            _ => None,
        };
        Ok(Identity { subject: format!("{}|{subject}", self.issuer.as_str()), email, name, groups })
    }

    /// Where to send the browser to end its session at the provider too, if the provider
    /// offers an end-session endpoint: with the ID token as hint and back to the sign-in
    /// page afterwards.
    pub async fn end_session_url(&self, id_token: &str) -> Option<String> {
        let metadata = self.metadata(false).await.ok()?;
        let endpoint = metadata.additional_metadata().end_session_endpoint.clone()?;
        let mut url = endpoint.url().clone();
        let back = PostLogoutRedirectUrl::new(self.after_logout.clone()).ok()?;
        url.query_pairs_mut()
            .append_pair("id_token_hint", id_token)
            .append_pair("client_id", self.client_id.as_str())
            .append_pair("post_logout_redirect_uri", back.as_str());
        Some(url.to_string())
    }
}

/// The claims of a JWT whose signature was verified: its payload, decoded.
fn payload(jwt: &str) -> anyhow::Result<serde_json::Value> {
    let middle = jwt.split('.').nth(1).ok_or_else(|| anyhow!("the ID token is not a JWT"))?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(middle.trim_end_matches('='))
        .context("the ID token's payload is not base64url")?;
    serde_json::from_slice(&bytes).context("the ID token's payload is not JSON")
}

/// The provider's redirect back: a code and the state, or an error.
#[derive(Debug, Clone, Deserialize)]
pub struct Callback {
    pub code: Option<String>,
    pub state: Option<String>,
    pub error: Option<String>,
    pub error_description: Option<String>,
}
