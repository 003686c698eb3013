//! Liveness: the service answers and its database does.

use super::{Ctx, ServiceResult};

/// One round trip to the database.
pub fn check(ctx: &Ctx) -> ServiceResult<()> {
    Ok(ctx.db.query(|conn| {
        use diesel::connection::SimpleConnection;
        conn.batch_execute("SELECT 1")
    })?)
}
