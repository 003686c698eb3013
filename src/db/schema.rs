//! Table definitions shared by the SQLite and PostgreSQL backends.
//!
//! Written by hand to match `migrations/{sqlite,postgres}`: only portable column types
//! (Integer, BigInt, Text, Bool, Timestamp) so one definition serves both.

diesel::table! {
    users (id) {
        id -> Integer,
        email -> Text,
        name -> Text,
        password_hash -> Text,
        language -> Nullable<Text>,
        timezone -> Nullable<Text>,
        active -> Bool,
        created_at -> Timestamp,
        oidc_subject -> Nullable<Text>,
        deactivated_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    sessions (id) {
        id -> Integer,
        token_hash -> Text,
        user_id -> Integer,
        created_at -> Timestamp,
        last_seen_at -> Timestamp,
        expires_at -> Timestamp,
        user_agent -> Text,
        address -> Text,
        method -> Text,
        id_token -> Nullable<Text>,
    }
}

diesel::table! {
    password_resets (id) {
        id -> Integer,
        token_hash -> Text,
        user_id -> Integer,
        created_at -> Timestamp,
        expires_at -> Timestamp,
        used_at -> Nullable<Timestamp>,
        sent_by -> Nullable<Integer>,
    }
}

diesel::table! {
    user_roles (user_id, role) {
        user_id -> Integer,
        role -> Text,
    }
}

diesel::table! {
    api_tokens (id) {
        id -> Integer,
        user_id -> Integer,
        token_hash -> Text,
        expires_at -> Timestamp,
        created_at -> Timestamp,
        name -> Text,
        scopes -> Text,
        last_used_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    cis (id) {
        id -> Integer,
        name -> Text,
        kind -> Text,
        criticality -> Integer,
        owner_email -> Text,
        retired_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    templates (id) {
        id -> Integer,
        name -> Text,
        description -> Text,
        implementation_plan -> Text,
        backout_plan -> Text,
        test_plan -> Text,
        max_duration_minutes -> Integer,
        created_by -> Integer,
        created_at -> Timestamp,
        retired_at -> Nullable<Timestamp>,
        version -> Integer,
    }
}

diesel::table! {
    template_cis (template_id, ci_id) {
        template_id -> Integer,
        ci_id -> Integer,
    }
}

diesel::table! {
    changes (id) {
        id -> Integer,
        title -> Text,
        title_search -> Text,
        description -> Text,
        justification -> Text,
        change_type -> Text,
        state -> Text,
        requester_id -> Integer,
        implementer_id -> Nullable<Integer>,
        template_id -> Nullable<Integer>,
        planned_start -> Nullable<Timestamp>,
        planned_end -> Nullable<Timestamp>,
        actual_start -> Nullable<Timestamp>,
        actual_end -> Nullable<Timestamp>,
        implementation_plan -> Text,
        backout_plan -> Text,
        test_plan -> Text,
        risk_score -> Integer,
        risk_level -> Text,
        risk_factors -> Text,
        risk_override_reason -> Nullable<Text>,
        closure_code -> Nullable<Text>,
        closure_notes -> Nullable<Text>,
        review -> Nullable<Text>,
        decision_round -> Integer,
        submitted_at -> Nullable<Timestamp>,
        decided_at -> Nullable<Timestamp>,
        version -> Integer,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        authorized_at -> Nullable<Timestamp>,
        template_version -> Nullable<Integer>,
    }
}

diesel::table! {
    installation (id) {
        id -> Integer,
        instance_id -> Text,
    }
}

diesel::table! {
    deleted_changes (change_id) {
        change_id -> Integer,
        deleted_at -> Timestamp,
    }
}

diesel::table! {
    attachments (id) {
        id -> Integer,
        change_id -> Integer,
        uploader_id -> Integer,
        file_name -> Text,
        content_type -> Text,
        size_bytes -> BigInt,
        sha256 -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    attachment_contents (attachment_id) {
        attachment_id -> Integer,
        content -> Binary,
    }
}

diesel::table! {
    change_incidents (id) {
        id -> Integer,
        change_id -> Integer,
        incident -> Text,
        relation -> Text,
        added_by -> Integer,
        created_at -> Timestamp,
    }
}

diesel::table! {
    system_messages (id) {
        id -> Integer,
        change_id -> Nullable<Integer>,
        status -> Text,
        title_nb -> Text,
        body_nb -> Text,
        title_en -> Nullable<Text>,
        body_en -> Nullable<Text>,
        starts_at -> Nullable<Timestamp>,
        ends_at -> Nullable<Timestamp>,
        published_at -> Nullable<Timestamp>,
        closed_at -> Nullable<Timestamp>,
        created_by -> Nullable<Integer>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        version -> Integer,
    }
}

diesel::table! {
    system_message_updates (id) {
        id -> Integer,
        message_id -> Integer,
        status -> Text,
        text_nb -> Text,
        text_en -> Nullable<Text>,
        author_id -> Nullable<Integer>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    template_versions (template_id, version) {
        template_id -> Integer,
        version -> Integer,
        name -> Text,
        description -> Text,
        implementation_plan -> Text,
        backout_plan -> Text,
        test_plan -> Text,
        max_duration_minutes -> Integer,
        ci_ids -> Text,
        created_by -> Integer,
        created_at -> Timestamp,
    }
}

diesel::table! {
    change_copies (change_id) {
        change_id -> Integer,
        original_id -> Integer,
        source_id -> Integer,
    }
}

diesel::table! {
    candidate_decisions (change_id) {
        change_id -> Integer,
        outcome -> Text,
        template_id -> Nullable<Integer>,
        decided_by -> Integer,
        decided_at -> Timestamp,
    }
}

diesel::table! {
    notes (id) {
        id -> Integer,
        change_id -> Integer,
        author_id -> Integer,
        body -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    change_cis (change_id, ci_id) {
        change_id -> Integer,
        ci_id -> Integer,
        planned_start -> Nullable<Timestamp>,
        planned_end -> Nullable<Timestamp>,
        holds -> Bool,
    }
}

diesel::table! {
    risk_answers (change_id, question) {
        change_id -> Integer,
        question -> Text,
        answer -> Text,
    }
}

diesel::table! {
    votes (id) {
        id -> Integer,
        change_id -> Integer,
        round -> Integer,
        voter_id -> Integer,
        as_manager -> Bool,
        decision -> Text,
        comment -> Text,
        created_at -> Timestamp,
        cast_by_id -> Nullable<Integer>,
    }
}

diesel::table! {
    blackouts (id) {
        id -> Integer,
        title -> Text,
        starts_at -> Timestamp,
        ends_at -> Timestamp,
        created_by -> Integer,
        created_at -> Timestamp,
        retired_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    blackout_cis (blackout_id, ci_id) {
        blackout_id -> Integer,
        ci_id -> Integer,
    }
}

diesel::table! {
    audit_head (id) {
        id -> Integer,
        last_seq -> BigInt,
        last_hash -> Text,
        touched_at -> Timestamp,
    }
}

diesel::table! {
    audit_events (seq) {
        seq -> BigInt,
        change_id -> Nullable<Integer>,
        actor_id -> Nullable<Integer>,
        action -> Text,
        from_state -> Nullable<Text>,
        to_state -> Nullable<Text>,
        payload -> Text,
        created_at -> Timestamp,
        prev_hash -> Text,
        hash -> Text,
    }
}

diesel::table! {
    outbox (id) {
        id -> Integer,
        kind -> Text,
        change_id -> Nullable<Integer>,
        recipient_id -> Nullable<Integer>,
        recipient_email -> Text,
        payload -> Text,
        status -> Text,
        attempts -> Integer,
        next_attempt_at -> Timestamp,
        last_error -> Nullable<Text>,
        created_at -> Timestamp,
        sent_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    vote_tokens (id) {
        id -> Integer,
        token_hash -> Text,
        change_id -> Integer,
        voter_id -> Integer,
        round -> Integer,
        decision -> Text,
        expires_at -> Timestamp,
        used_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
        for_id -> Nullable<Integer>,
    }
}

diesel::table! {
    reminders (id) {
        id -> Integer,
        kind -> Text,
        change_id -> Integer,
        round -> Integer,
        user_id -> Integer,
        due_at -> Timestamp,
        created_at -> Timestamp,
    }
}

diesel::table! {
    closed_days (day) {
        day -> Text,
        name -> Text,
        created_by -> Integer,
        created_at -> Timestamp,
    }
}

diesel::table! {
    cab_meetings (id) {
        id -> Integer,
        kind -> Text,
        state -> Text,
        title -> Text,
        starts_at -> Timestamp,
        cutoff_at -> Timestamp,
        cancel_reason -> Nullable<Text>,
        created_by -> Nullable<Integer>,
        created_at -> Timestamp,
        opened_at -> Nullable<Timestamp>,
        closed_at -> Nullable<Timestamp>,
        agenda_sent_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    meeting_attendees (meeting_id, user_id) {
        meeting_id -> Integer,
        user_id -> Integer,
    }
}

diesel::table! {
    meeting_decisions (id) {
        id -> Integer,
        meeting_id -> Integer,
        change_id -> Integer,
        outcome -> Text,
        comment -> Text,
        decided_by -> Integer,
        decided_at -> Timestamp,
    }
}

diesel::table! {
    maintenance_windows (id) {
        id -> Integer,
        ci_id -> Integer,
        weekday -> Text,
        starts -> Text,
        ends -> Text,
        zone -> Text,
        created_by -> Nullable<Integer>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    feed_tokens (id) {
        id -> Integer,
        user_id -> Integer,
        token_hash -> Text,
        scope -> Text,
        name -> Text,
        created_at -> Timestamp,
        ci_id -> Nullable<Integer>,
    }
}

diesel::table! {
    delegations (id) {
        id -> Integer,
        principal_id -> Integer,
        delegate_id -> Integer,
        starts_at -> Timestamp,
        ends_at -> Timestamp,
        created_by -> Integer,
        created_at -> Timestamp,
        revoked_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    cab_settings (id) {
        id -> Integer,
        meeting_day -> Text,
        meeting_time -> Text,
        cutoff_time -> Text,
        on_holiday -> Text,
        zone -> Text,
        updated_by -> Integer,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    meeting_stand_ins (meeting_id, member_id) {
        meeting_id -> Integer,
        member_id -> Integer,
        delegate_id -> Integer,
    }
}

diesel::table! {
    change_imports (change_id) {
        change_id -> Integer,
        import_id -> Text,
        source -> Text,
        original_id -> Text,
        original_state -> Text,
        original_requester -> Text,
        original_implementer -> Text,
        original_created_at -> Nullable<Timestamp>,
        original_closed_at -> Nullable<Timestamp>,
        line -> Integer,
    }
}

diesel::table! {
    webhooks (id) {
        id -> Integer,
        url -> Text,
        secret -> Text,
        event_types -> Text,
        active -> Bool,
        created_by -> Nullable<Integer>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    webhook_deliveries (id) {
        id -> Integer,
        webhook_id -> Integer,
        event_type -> Text,
        event_seq -> Nullable<BigInt>,
        change_id -> Nullable<Integer>,
        body -> Text,
        status -> Text,
        attempts -> Integer,
        next_attempt_at -> Timestamp,
        response_code -> Nullable<Integer>,
        last_error -> Nullable<Text>,
        created_at -> Timestamp,
        last_attempt_at -> Nullable<Timestamp>,
        delivered_at -> Nullable<Timestamp>,
    }
}

diesel::joinable!(user_roles -> users (user_id));
diesel::joinable!(api_tokens -> users (user_id));
diesel::joinable!(sessions -> users (user_id));
diesel::joinable!(change_cis -> changes (change_id));
diesel::joinable!(change_cis -> cis (ci_id));
diesel::joinable!(template_cis -> cis (ci_id));
diesel::joinable!(blackout_cis -> cis (ci_id));
diesel::joinable!(votes -> changes (change_id));
diesel::joinable!(notes -> changes (change_id));
diesel::joinable!(notes -> users (author_id));
diesel::joinable!(attachments -> changes (change_id));
diesel::joinable!(change_incidents -> changes (change_id));
diesel::joinable!(change_incidents -> users (added_by));
diesel::joinable!(attachments -> users (uploader_id));
diesel::joinable!(attachment_contents -> attachments (attachment_id));
diesel::joinable!(votes -> users (voter_id));
diesel::joinable!(reminders -> changes (change_id));
diesel::joinable!(system_messages -> changes (change_id));
diesel::joinable!(system_message_updates -> system_messages (message_id));
diesel::joinable!(webhook_deliveries -> webhooks (webhook_id));

diesel::allow_tables_to_appear_in_same_query!(
    users,
    user_roles,
    api_tokens,
    cis,
    templates,
    template_cis,
    changes,
    change_cis,
    risk_answers,
    votes,
    blackouts,
    blackout_cis,
    audit_head,
    audit_events,
    outbox,
    vote_tokens,
    reminders,
    closed_days,
    cab_meetings,
    meeting_attendees,
    meeting_decisions,
    maintenance_windows,
    feed_tokens,
    delegations,
    cab_settings,
    meeting_stand_ins,
    notes,
    deleted_changes,
    attachments,
    attachment_contents,
    change_incidents,
    system_messages,
    system_message_updates,
    template_versions,
    candidate_decisions,
    change_copies,
    sessions,
    password_resets,
    webhooks,
    webhook_deliveries,
    change_imports
);
