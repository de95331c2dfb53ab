//! [`GroupMember`]: one worker's JoinGroup / SyncGroup / Heartbeat / LeaveGroup conversation with
//! the group coordinator.

use std::time::{Duration, Instant};

use kafka_protocol::messages::join_group_request::JoinGroupRequestProtocol;
use kafka_protocol::messages::leave_group_request::MemberIdentity;
use kafka_protocol::messages::sync_group_request::SyncGroupRequestAssignment;
use kafka_protocol::messages::{
    ApiKey, GroupId, HeartbeatRequest, JoinGroupRequest, JoinGroupResponse, LeaveGroupRequest,
    SyncGroupRequest,
};
use kafka_protocol::protocol::StrBytes;
use tokio_util::sync::CancellationToken;

use super::connection::{GroupRequest, NegotiatedVersions};
use super::coordinator::{Coordinator, locate, with_cancel};
use super::error::{MembershipError, code_means_coordinator_moved, codes};
use super::{Generation, HeartbeatOutcome, JoinResult, MembershipConfig, PROTOCOL_TYPE};

/// The broker holds a JoinGroup until every member has rejoined or the rebalance timeout passes;
/// the request may take that long plus this margin for the answer to arrive.
const JOIN_MARGIN: Duration = Duration::from_secs(5);

const FIRST_BACKOFF: Duration = Duration::from_millis(100);
const MAX_BACKOFF: Duration = Duration::from_secs(1);

/// The generation a member is in, without the member id (kept separately: it outlives
/// generations).
#[derive(Debug, Clone)]
struct ActiveGeneration {
    generation_id: i32,
    protocol_name: String,
}

/// What one JoinGroup attempt led to.
enum JoinStep {
    Joined(JoinResult),
    /// The broker changed the member id (assigned one, or forgot ours): send again at once.
    Again(i16),
}

/// One worker's membership in a `connect` group. See the module docs for the life cycle.
pub struct GroupMember {
    config: MembershipConfig,
    cancel: CancellationToken,
    coordinator: Option<Coordinator>,
    /// Empty until the broker assigns one (MEMBER_ID_REQUIRED) and after it forgets it.
    member_id: String,
    generation: Option<ActiveGeneration>,
}

impl GroupMember {
    /// A member that has not joined yet. Cancelling `cancel` aborts any call in flight except
    /// [`GroupMember::leave`].
    pub fn new(config: MembershipConfig, cancel: CancellationToken) -> Self {
        GroupMember {
            config,
            cancel,
            coordinator: None,
            member_id: String::new(),
            generation: None,
        }
    }

    /// A member that carries on in `generation`, for example a worker handing its membership to
    /// a fresh client. The coordinator decides on the next call whether it is still current.
    pub fn resume(
        config: MembershipConfig,
        cancel: CancellationToken,
        generation: Generation,
    ) -> Self {
        let mut member = GroupMember::new(config, cancel);
        member.member_id = generation.member_id;
        member.generation = Some(ActiveGeneration {
            generation_id: generation.generation_id,
            protocol_name: generation.protocol_name,
        });
        member
    }

    /// The member's configuration.
    pub fn config(&self) -> &MembershipConfig {
        &self.config
    }

    /// The member id the broker assigned, if any.
    pub fn member_id(&self) -> Option<&str> {
        (!self.member_id.is_empty()).then_some(self.member_id.as_str())
    }

    /// The generation the member last joined, unless it has since been fenced or left.
    pub fn generation(&self) -> Option<Generation> {
        self.generation.as_ref().map(|g| Generation {
            generation_id: g.generation_id,
            member_id: self.member_id.clone(),
            protocol_name: g.protocol_name.clone(),
        })
    }

    /// The API versions used with the current coordinator, once one is connected.
    pub fn negotiated_versions(&self) -> Option<NegotiatedVersions> {
        self.coordinator.as_ref().map(|c| c.versions)
    }

    /// Asks the bootstrap brokers for the group's coordinator and connects to it; returns its
    /// address. Joining does this on its own when needed.
    pub async fn find_coordinator(&mut self) -> Result<String, MembershipError> {
        self.coordinator = None;
        let coordinator = locate(&self.config, self.request_timeout(), &self.cancel).await?;
        let address = coordinator.connection.broker().to_string();
        self.coordinator = Some(coordinator);
        Ok(address)
    }

    /// Joins the group offering `protocols` (subprotocol name and join metadata, most preferred
    /// first) and waits for the generation to form.
    ///
    /// Handled here: MEMBER_ID_REQUIRED (send again with the assigned id), UNKNOWN_MEMBER_ID
    /// (send again as a new member), coordinator moves (find it again) and REBALANCE_IN_PROGRESS,
    /// retried with backoff until the rebalance timeout has passed since the first attempt. Then,
    /// or on a fatal code, the last error is returned.
    pub async fn join(
        &mut self,
        protocols: Vec<(String, Vec<u8>)>,
    ) -> Result<JoinResult, MembershipError> {
        // Joining ends the current generation whatever the outcome.
        self.generation = None;
        let protocols: Vec<JoinGroupRequestProtocol> = protocols
            .into_iter()
            .map(|(name, metadata)| {
                JoinGroupRequestProtocol::default()
                    .with_name(StrBytes::from_string(name))
                    .with_metadata(metadata.into())
            })
            .collect();
        let deadline = Instant::now() + self.config.rebalance_timeout;
        let mut backoff = FIRST_BACKOFF;
        loop {
            let error = match self.join_once(&protocols).await {
                Ok(JoinStep::Joined(result)) => return Ok(result),
                Ok(JoinStep::Again(_)) if Instant::now() < deadline => continue,
                Ok(JoinStep::Again(code)) => MembershipError::Kafka {
                    api: ApiKey::JoinGroup,
                    code,
                },
                Err(error) => error,
            };
            if !error.is_retriable() || Instant::now() >= deadline {
                return Err(error);
            }
            tracing::debug!(group = %self.config.group_id, %error, ?backoff, "retrying join");
            self.pause(backoff).await?;
            backoff = (backoff * 2).min(MAX_BACKOFF);
        }
    }

    /// Sends this member's SyncGroup for `generation_id` and returns its own assignment. The
    /// leader passes every member's assignment; followers pass none.
    pub async fn sync(
        &mut self,
        generation_id: i32,
        assignments: Vec<(String, Vec<u8>)>,
    ) -> Result<Vec<u8>, MembershipError> {
        let api = ApiKey::SyncGroup;
        let current = self
            .generation
            .clone()
            .ok_or(MembershipError::NotJoined { api })?;
        if current.generation_id != generation_id {
            return Err(MembershipError::StaleGeneration {
                requested: generation_id,
                current: current.generation_id,
            });
        }
        let assignments: Vec<SyncGroupRequestAssignment> = assignments
            .into_iter()
            .map(|(member_id, assignment)| {
                SyncGroupRequestAssignment::default()
                    .with_member_id(StrBytes::from_string(member_id))
                    .with_assignment(assignment.into())
            })
            .collect();
        let (group_id, member_id) = (self.group_id(), self.member_id_bytes());
        let build = move |version: i16| {
            let request = SyncGroupRequest::default()
                .with_group_id(group_id)
                .with_generation_id(generation_id)
                .with_member_id(member_id)
                .with_assignments(assignments);
            // v5 lets the coordinator check that the member syncs the protocol it joined with.
            if version >= 5 {
                request
                    .with_protocol_type(Some(StrBytes::from_static_str(PROTOCOL_TYPE)))
                    .with_protocol_name(Some(StrBytes::from_string(current.protocol_name)))
            } else {
                request
            }
        };
        let timeout = self.join_timeout();
        let response = self
            .call(build, |v| v.sync_group, timeout, self.cancel.clone())
            .await?;
        match response.error_code {
            codes::NONE => Ok(response.assignment.to_vec()),
            code => {
                // The generation never became usable: a rebalance started before the sync ended.
                if code == codes::REBALANCE_IN_PROGRESS {
                    self.generation = None;
                }
                self.forget(code);
                Err(MembershipError::Kafka { api, code })
            }
        }
    }

    /// Tells the coordinator the member is alive and learns whether its generation still holds.
    pub async fn heartbeat(&mut self) -> Result<HeartbeatOutcome, MembershipError> {
        let api = ApiKey::Heartbeat;
        let generation_id = self
            .generation
            .as_ref()
            .map(|g| g.generation_id)
            .ok_or(MembershipError::NotJoined { api })?;
        let (group_id, member_id) = (self.group_id(), self.member_id_bytes());
        let build = move |_version: i16| {
            HeartbeatRequest::default()
                .with_group_id(group_id)
                .with_generation_id(generation_id)
                .with_member_id(member_id)
        };
        let timeout = self.request_timeout();
        let response = self
            .call(build, |v| v.heartbeat, timeout, self.cancel.clone())
            .await?;
        let code = response.error_code;
        match code {
            codes::NONE => Ok(HeartbeatOutcome::Ok),
            codes::REBALANCE_IN_PROGRESS => Ok(HeartbeatOutcome::RebalanceNeeded),
            codes::ILLEGAL_GENERATION | codes::UNKNOWN_MEMBER_ID | codes::FENCED_INSTANCE_ID => {
                self.forget(code);
                Ok(HeartbeatOutcome::Fenced { error_code: code })
            }
            code => {
                self.forget(code);
                Err(MembershipError::Kafka { api, code })
            }
        }
    }

    /// Leaves the group so the others rebalance at once instead of after the session timeout.
    /// The member forgets its id and generation whatever the answer. This is the shutdown path,
    /// so it does not observe the cancellation token; the request timeout bounds it.
    pub async fn leave(&mut self) -> Result<(), MembershipError> {
        let api = ApiKey::LeaveGroup;
        if self.member_id.is_empty() {
            return Ok(());
        }
        let member_id = StrBytes::from_string(std::mem::take(&mut self.member_id));
        self.generation = None;
        let group_id = self.group_id();
        let build = move |version: i16| {
            let member = MemberIdentity::default().with_member_id(member_id);
            let member = if version >= 5 {
                member.with_reason(Some(StrBytes::from_static_str("sluice worker leaving")))
            } else {
                member
            };
            LeaveGroupRequest::default()
                .with_group_id(group_id)
                .with_members(vec![member])
        };
        let timeout = self.request_timeout();
        let response = self
            .call(build, |v| v.leave_group, timeout, CancellationToken::new())
            .await?;
        // UNKNOWN_MEMBER_ID: the coordinator had already dropped the member, which is the goal.
        let codes = std::iter::once(response.error_code)
            .chain(response.members.iter().map(|m| m.error_code));
        for code in codes {
            if code != codes::NONE && code != codes::UNKNOWN_MEMBER_ID {
                self.forget(code);
                return Err(MembershipError::Kafka { api, code });
            }
        }
        Ok(())
    }

    /// One JoinGroup request and what its answer means.
    async fn join_once(
        &mut self,
        protocols: &[JoinGroupRequestProtocol],
    ) -> Result<JoinStep, MembershipError> {
        let api = ApiKey::JoinGroup;
        let protocols = protocols.to_vec();
        let (group_id, member_id) = (self.group_id(), self.member_id_bytes());
        let (session, rebalance) = (
            millis(self.config.session_timeout),
            millis(self.config.rebalance_timeout),
        );
        let build = move |_version: i16| {
            JoinGroupRequest::default()
                .with_group_id(group_id)
                .with_session_timeout_ms(session)
                .with_rebalance_timeout_ms(rebalance)
                .with_member_id(member_id)
                .with_protocol_type(StrBytes::from_static_str(PROTOCOL_TYPE))
                .with_protocols(protocols)
        };
        let timeout = self.join_timeout();
        let response = self
            .call(build, |v| v.join_group, timeout, self.cancel.clone())
            .await?;
        match response.error_code {
            codes::NONE => self.accept_join(response).map(JoinStep::Joined),
            codes::MEMBER_ID_REQUIRED if !response.member_id.is_empty() => {
                self.member_id = response.member_id.to_string();
                Ok(JoinStep::Again(codes::MEMBER_ID_REQUIRED))
            }
            codes::UNKNOWN_MEMBER_ID => {
                self.member_id.clear();
                Ok(JoinStep::Again(codes::UNKNOWN_MEMBER_ID))
            }
            code => {
                self.forget(code);
                Err(MembershipError::Kafka { api, code })
            }
        }
    }

    /// Records the generation a successful JoinGroup formed.
    fn accept_join(&mut self, response: JoinGroupResponse) -> Result<JoinResult, MembershipError> {
        let protocol_name = response
            .protocol_name
            .map(|name| name.to_string())
            .ok_or_else(|| MembershipError::Protocol {
                broker: self.coordinator_address(),
                api: ApiKey::JoinGroup,
                detail: "successful JoinGroup names no protocol".to_string(),
            })?;
        // Skip-assignment (v9) only concerns static members with a broker-side assignor, which
        // Sluice does not use, so the leader always assigns.
        let result = JoinResult {
            generation_id: response.generation_id,
            member_id: response.member_id.to_string(),
            leader_id: response.leader.to_string(),
            protocol_name,
            members: response
                .members
                .into_iter()
                .map(|m| (m.member_id.to_string(), m.metadata.to_vec()))
                .collect(),
        };
        self.member_id = result.member_id.clone();
        self.generation = Some(ActiveGeneration {
            generation_id: result.generation_id,
            protocol_name: result.protocol_name.clone(),
        });
        tracing::info!(
            group = %self.config.group_id,
            generation = result.generation_id,
            member = %result.member_id,
            leader = result.is_leader(),
            "joined group"
        );
        Ok(result)
    }

    /// Drops what an error code says is no longer valid.
    fn forget(&mut self, code: i16) {
        match code {
            codes::ILLEGAL_GENERATION => self.generation = None,
            codes::UNKNOWN_MEMBER_ID | codes::FENCED_INSTANCE_ID => {
                self.generation = None;
                self.member_id.clear();
            }
            code if code_means_coordinator_moved(code) => self.coordinator = None,
            _ => {}
        }
    }

    /// Sends a request built for the negotiated version to the coordinator (found first if
    /// needed). A connection that failed mid-exchange is dropped so the next call starts afresh.
    async fn call<R: GroupRequest>(
        &mut self,
        build: impl FnOnce(i16) -> R,
        version_of: fn(&NegotiatedVersions) -> i16,
        timeout: Duration,
        cancel: CancellationToken,
    ) -> Result<R::Response, MembershipError> {
        let mut coordinator = match self.coordinator.take() {
            Some(coordinator) => coordinator,
            None => locate(&self.config, self.request_timeout(), &cancel).await?,
        };
        let version = version_of(&coordinator.versions);
        let request = build(version);
        let result = with_cancel(
            &cancel,
            coordinator.connection.send(&request, version, timeout),
        )
        .await;
        if !matches!(&result, Err(error) if error.breaks_connection()) {
            self.coordinator = Some(coordinator);
        }
        result
    }

    /// Waits `delay` unless cancelled first.
    async fn pause(&self, delay: Duration) -> Result<(), MembershipError> {
        with_cancel(&self.cancel, async {
            tokio::time::sleep(delay).await;
            Ok(())
        })
        .await
    }

    fn group_id(&self) -> GroupId {
        GroupId(StrBytes::from_string(self.config.group_id.clone()))
    }

    fn member_id_bytes(&self) -> StrBytes {
        StrBytes::from_string(self.member_id.clone())
    }

    fn coordinator_address(&self) -> String {
        self.coordinator
            .as_ref()
            .map(|c| c.connection.broker().to_string())
            .unwrap_or_default()
    }

    /// JoinGroup and SyncGroup wait on the other members, for up to the rebalance timeout.
    fn join_timeout(&self) -> Duration {
        self.config.rebalance_timeout + JOIN_MARGIN
    }

    /// Every other request: one that takes longer than the session would already have cost the
    /// member its place.
    fn request_timeout(&self) -> Duration {
        self.config.session_timeout
    }
}

/// Milliseconds for an i32 timeout field, saturating.
fn millis(duration: Duration) -> i32 {
    i32::try_from(duration.as_millis()).unwrap_or(i32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timeouts_saturate() {
        assert_eq!(millis(Duration::from_secs(6)), 6000);
        assert_eq!(millis(Duration::from_secs(u64::MAX)), i32::MAX);
    }

    #[tokio::test]
    async fn calls_before_joining_say_so() {
        let config = MembershipConfig::new(vec!["127.0.0.1:1".to_string()], "g");
        let mut member = GroupMember::new(config, CancellationToken::new());
        let error = member.heartbeat().await.err();
        assert!(matches!(error, Some(MembershipError::NotJoined { .. })));
        let error = member.sync(1, Vec::new()).await.err();
        assert!(matches!(error, Some(MembershipError::NotJoined { .. })));
        assert!(
            member.leave().await.is_ok(),
            "leaving without a member id is a no-op"
        );
    }

    #[tokio::test]
    async fn cancellation_stops_a_join() {
        let cancel = CancellationToken::new();
        cancel.cancel();
        let config = MembershipConfig::new(vec!["127.0.0.1:1".to_string()], "g");
        let mut member = GroupMember::new(config, cancel);
        let error = member
            .join(vec![("sessioned".to_string(), Vec::new())])
            .await;
        assert!(matches!(error, Err(MembershipError::Cancelled)));
    }

    #[tokio::test]
    async fn unreachable_brokers_are_retriable() {
        let mut config = MembershipConfig::new(vec!["127.0.0.1:1".to_string()], "g");
        config.session_timeout = Duration::from_millis(500);
        let mut member = GroupMember::new(config, CancellationToken::new());
        let error = member.find_coordinator().await.err();
        assert!(
            error.as_ref().is_some_and(MembershipError::is_retriable),
            "{error:?}"
        );
    }
}
