//! This installation's id, made once by the migrations.

use super::schema::installation;
use super::DbConn;
use diesel::prelude::*;

pub fn instance_id(conn: &mut DbConn) -> QueryResult<String> {
    installation::table.select(installation::instance_id).first(conn)
}
