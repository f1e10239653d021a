//! Notices that appear on a schedule, in IMDS's own formats.

mod common;

use std::time::Duration;

use common::*;
use imds_emulator::{MaintenanceEvent, SpotAction};

fn is_iso8601_z(text: &str) -> bool {
    let format =
        time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]Z");
    time::PrimitiveDateTime::parse(text, format).is_ok()
}

fn is_maintenance_date(text: &str) -> bool {
    let format = time::macros::format_description!(
        "[day] [month repr:short] [year] [hour]:[minute]:[second] GMT"
    );
    time::PrimitiveDateTime::parse(text, format).is_ok()
}

#[test]
fn spot_notice_is_404_until_scheduled_then_action_and_time() {
    let emulator = start();
    let token = token(&emulator);
    assert_eq!(
        get(&emulator, "/latest/meta-data/spot/instance-action", &token).status,
        404
    );
    assert!(!lines(&get(&emulator, "/latest/meta-data/", &token)).contains(&"spot/".to_owned()));

    emulator
        .control()
        .schedule_spot(SpotAction::Terminate, Duration::ZERO);
    let action = get(&emulator, "/latest/meta-data/spot/instance-action", &token).json();
    assert_eq!(action["action"], "terminate");
    let at = action["time"].as_str().unwrap();
    assert!(is_iso8601_z(at), "{at}");
    let termination = get(&emulator, "/latest/meta-data/spot/termination-time", &token).text();
    assert_eq!(termination, at);
    assert!(lines(&get(&emulator, "/latest/meta-data/", &token)).contains(&"spot/".to_owned()));
    let spot = lines(&get(&emulator, "/latest/meta-data/spot/", &token));
    assert_eq!(spot, ["instance-action", "termination-time"]);
}

#[test]
fn a_stop_notice_has_no_termination_time() {
    let emulator = start();
    admin_ok(
        &emulator,
        "POST",
        "/events/spot",
        r#"{"action":"stop","in_seconds":0}"#,
    );
    let token = token(&emulator);
    assert_eq!(
        get(&emulator, "/latest/meta-data/spot/instance-action", &token).json()["action"],
        "stop"
    );
    assert_eq!(
        get(&emulator, "/latest/meta-data/spot/termination-time", &token).status,
        404
    );
}

#[test]
fn a_notice_scheduled_later_appears_only_when_its_time_comes() {
    let emulator = start();
    emulator
        .control()
        .schedule_spot(SpotAction::Hibernate, Duration::from_secs(1));
    emulator
        .control()
        .schedule_rebalance(Duration::from_secs(3600));
    let token = token(&emulator);
    assert_eq!(
        get(&emulator, "/latest/meta-data/spot/instance-action", &token).status,
        404
    );
    std::thread::sleep(Duration::from_millis(1300));
    let action = get(&emulator, "/latest/meta-data/spot/instance-action", &token).json();
    assert_eq!(action["action"], "hibernate");
    let rebalance = get(
        &emulator,
        "/latest/meta-data/events/recommendations/rebalance",
        &token,
    );
    assert_eq!(rebalance.status, 404, "an hour away");
}

#[test]
fn rebalance_recommendation_has_a_notice_time() {
    let emulator = start();
    admin_ok(
        &emulator,
        "POST",
        "/events/rebalance",
        r#"{"in_seconds":0}"#,
    );
    let notice = read(
        &emulator,
        "/latest/meta-data/events/recommendations/rebalance",
    )
    .json();
    let at = notice["noticeTime"].as_str().unwrap();
    assert!(is_iso8601_z(at), "{at}");
}

#[test]
fn maintenance_events_are_listed_with_imds_dates_then_move_to_history() {
    let emulator = start();
    let token = token(&emulator);
    assert_eq!(
        get(
            &emulator,
            "/latest/meta-data/events/maintenance/scheduled",
            &token
        )
        .status,
        404
    );
    admin_ok(
        &emulator,
        "POST",
        "/events/maintenance",
        r#"{"code":"system-reboot","description":"scheduled reboot","in_seconds":0}"#,
    );
    let scheduled = get(
        &emulator,
        "/latest/meta-data/events/maintenance/scheduled",
        &token,
    )
    .json();
    let event = &scheduled.as_array().expect("an array")[0];
    assert_eq!(event["Code"], "system-reboot");
    assert_eq!(event["Description"], "scheduled reboot");
    assert_eq!(event["State"], "active");
    assert!(event["EventId"]
        .as_str()
        .unwrap()
        .starts_with("instance-event-"));
    for field in ["NotBefore", "NotAfter"] {
        let date = event[field].as_str().unwrap();
        assert!(is_maintenance_date(date), "{field}: {date}");
    }
    assert_eq!(
        get(
            &emulator,
            "/latest/meta-data/events/maintenance/history",
            &token
        )
        .status,
        404
    );

    // A window that opens and closes right away is history.
    emulator.control().schedule_maintenance(MaintenanceEvent {
        code: "instance-stop".into(),
        description: "done".into(),
        in_seconds: 0,
        starts_after_seconds: Some(0),
        duration_seconds: Some(0),
    });
    let history = get(
        &emulator,
        "/latest/meta-data/events/maintenance/history",
        &token,
    )
    .json();
    assert_eq!(history[0]["Code"], "instance-stop");
    assert_eq!(history[0]["State"], "completed");
    let listing = lines(&get(
        &emulator,
        "/latest/meta-data/events/maintenance/",
        &token,
    ));
    assert_eq!(listing, ["history", "scheduled"]);
}

#[test]
fn autoscaling_target_state_is_404_until_set() {
    let emulator = start();
    let path = "/latest/meta-data/autoscaling/target-lifecycle-state";
    assert_eq!(read(&emulator, path).status, 404);
    admin_ok(&emulator, "PUT", "/autoscaling", r#"{"state":"InService"}"#);
    assert_eq!(read(&emulator, path).text(), "InService");
    emulator
        .control()
        .set_autoscaling_state(Some("Terminated".into()));
    assert_eq!(read(&emulator, path).text(), "Terminated");
    emulator.control().set_autoscaling_state(None);
    assert_eq!(read(&emulator, path).status, 404);
}

#[test]
fn clearing_events_removes_every_notice() {
    let emulator = start();
    let control = emulator.control();
    control.schedule_spot(SpotAction::Terminate, Duration::ZERO);
    control.schedule_rebalance(Duration::ZERO);
    control.set_autoscaling_state(Some("InService".into()));
    admin_ok(&emulator, "DELETE", "/events", "");
    let token = token(&emulator);
    for path in [
        "spot/instance-action",
        "events/recommendations/rebalance",
        "autoscaling/target-lifecycle-state",
        "events/",
    ] {
        assert_eq!(
            get(&emulator, &format!("/latest/meta-data/{path}"), &token).status,
            404,
            "{path}"
        );
    }
}
