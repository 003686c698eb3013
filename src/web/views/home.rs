//! The home page: a section for each kind of work that waits for the viewer.

use super::changes::table;
use crate::services::changes::ChangeSummary;
use crate::services::queue::HomeSection;
use crate::web::session::Viewer;
use maud::{html, Markup};

pub fn home(
    viewer: &Viewer,
    sections: &[(HomeSection, Vec<ChangeSummary>)],
    desk: Option<&[crate::services::desk::DeskItem]>,
) -> Markup {
    let lang = viewer.lang;
    html! {
        @if let Some(items) = desk {
            section aria-labelledby="home-desk" {
                h2 #home-desk { (lang.t("home-desk")) }
                (super::desk::table(viewer, items))
                p { a href="/desk" { (lang.t("home-desk-search")) } }
            }
        }
        @for (heading, items) in sections {
            @let heading = heading.key();
            section aria-labelledby=(heading) {
                h2 #(heading) { (lang.t(heading)) }
                (table(viewer, items))
            }
        }
    }
}
