//! Notices that appear at a scheduled time: spot interruptions, rebalance recommendations,
//! scheduled maintenance, and the auto-scaling target state.

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use time::{Duration, OffsetDateTime};

use crate::format::{iso8601, maintenance_date};

/// What a spot interruption does to the instance.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SpotAction {
    /// The instance is terminated.
    Terminate,
    /// The instance is stopped.
    Stop,
    /// The instance is hibernated.
    Hibernate,
}

impl SpotAction {
    fn name(self) -> &'static str {
        match self {
            SpotAction::Terminate => "terminate",
            SpotAction::Stop => "stop",
            SpotAction::Hibernate => "hibernate",
        }
    }
}

/// A scheduled maintenance event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MaintenanceEvent {
    /// `system-reboot`, `instance-reboot`, `system-maintenance`, `instance-retirement` or
    /// `instance-stop`.
    pub code: String,
    /// Free text shown as `Description`.
    pub description: String,
    /// Seconds from now until the notice appears under `events/maintenance/scheduled`.
    #[serde(default)]
    pub in_seconds: u64,
    /// Seconds from the notice until the maintenance window opens (`NotBefore`); one day
    /// when absent.
    #[serde(default)]
    pub starts_after_seconds: Option<u64>,
    /// Length of the maintenance window (`NotAfter - NotBefore`); two hours when absent. Once
    /// the window has closed the event moves to `events/maintenance/history`.
    #[serde(default)]
    pub duration_seconds: Option<u64>,
}

#[derive(Debug, Clone)]
struct ScheduledMaintenance {
    id: String,
    code: String,
    description: String,
    notice: OffsetDateTime,
    not_before: OffsetDateTime,
    not_after: OffsetDateTime,
}

/// Every notice scheduled so far.
#[derive(Debug, Clone, Default)]
pub(crate) struct Schedule {
    spot: Option<(SpotAction, OffsetDateTime)>,
    rebalance: Option<OffsetDateTime>,
    maintenance: Vec<ScheduledMaintenance>,
    pub autoscaling: Option<String>,
}

/// How long after the spot notice EC2 acts on it.
const SPOT_WARNING: Duration = Duration::minutes(2);

impl Schedule {
    pub fn spot(&mut self, action: SpotAction, after: std::time::Duration) {
        self.spot = Some((action, OffsetDateTime::now_utc() + after));
    }

    pub fn rebalance(&mut self, after: std::time::Duration) {
        self.rebalance = Some(OffsetDateTime::now_utc() + after);
    }

    pub fn maintenance(&mut self, event: MaintenanceEvent) {
        let notice = OffsetDateTime::now_utc() + Duration::seconds(event.in_seconds as i64);
        let not_before =
            notice + Duration::seconds(event.starts_after_seconds.unwrap_or(86_400) as i64);
        let not_after =
            not_before + Duration::seconds(event.duration_seconds.unwrap_or(7200) as i64);
        let id = format!("instance-event-{:017x}", rand::random::<u64>() >> 4);
        self.maintenance.push(ScheduledMaintenance {
            id,
            code: event.code,
            description: event.description,
            notice,
            not_before,
            not_after,
        });
    }

    pub fn clear(&mut self) {
        *self = Schedule::default();
    }

    fn spot_due(&self, now: OffsetDateTime) -> Option<(SpotAction, OffsetDateTime)> {
        self.spot
            .filter(|(_, notice)| *notice <= now)
            .map(|(action, notice)| (action, notice + SPOT_WARNING))
    }

    /// `spot/instance-action`, once the interruption notice is due.
    pub fn spot_instance_action(&self, now: OffsetDateTime) -> Option<String> {
        let (action, at) = self.spot_due(now)?;
        Some(json!({"action": action.name(), "time": iso8601(at)}).to_string())
    }

    /// `spot/termination-time`, once a terminating interruption is due.
    pub fn spot_termination_time(&self, now: OffsetDateTime) -> Option<String> {
        match self.spot_due(now)? {
            (SpotAction::Terminate, at) => Some(iso8601(at)),
            _ => None,
        }
    }

    /// `events/recommendations/rebalance`, once due.
    pub fn rebalance_notice(&self, now: OffsetDateTime) -> Option<String> {
        let at = self.rebalance.filter(|at| *at <= now)?;
        Some(json!({"noticeTime": iso8601(at)}).to_string())
    }

    /// `events/maintenance/scheduled`: announced events whose window has not closed.
    pub fn maintenance_scheduled(&self, now: OffsetDateTime) -> Option<String> {
        self.maintenance_list(
            |event| event.notice <= now && now < event.not_after,
            "active",
        )
    }

    /// `events/maintenance/history`: events whose window has closed.
    pub fn maintenance_history(&self, now: OffsetDateTime) -> Option<String> {
        self.maintenance_list(|event| event.not_after <= now, "completed")
    }

    fn maintenance_list(
        &self,
        include: impl Fn(&ScheduledMaintenance) -> bool,
        state: &str,
    ) -> Option<String> {
        let events: Vec<Value> = self
            .maintenance
            .iter()
            .filter(|event| include(event))
            .map(|event| {
                json!({
                    "Code": event.code,
                    "Description": event.description,
                    "EventId": event.id,
                    "NotAfter": maintenance_date(event.not_after),
                    "NotBefore": maintenance_date(event.not_before),
                    "State": state,
                })
            })
            .collect();
        (!events.is_empty()).then(|| Value::Array(events).to_string())
    }
}
