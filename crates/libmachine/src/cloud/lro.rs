//! Long-running operations: a request the service accepts at once and finishes later
//! (a VM create, a delete), followed until it ends.
//!
//! [`Poller`] is the loop every provider shares: poll, pause as long as the service's
//! `Retry-After` asks (else a default), give up at a deadline, say every so often that
//! it still waits. What a poll means is the provider's: [`arm_step`] follows Azure
//! Resource Manager's protocol (and Google's or DigitalOcean's "operation" and "action"
//! resources fit the same [`Poll`] answers):
//!
//! * `Azure-AsyncOperation: <url>`: GET it until its `status` is `Succeeded`, `Failed`
//!   or `Canceled` (`error {code, message}` says why); a PUT's result is then the
//!   resource itself, read once more.
//! * else `Location: <url>`: GET it until it stops answering 202; its last answer is
//!   the result.
//! * else a PUT answered 200/201 with `properties.provisioningState`: GET the resource
//!   until that state is terminal.
//! * else the first answer was final.

use super::http::Response;
use super::ApiError;
use anyhow::{bail, Result};
use serde_json::Value;
use std::ops::ControlFlow;
use std::time::Duration;

/// What one poll found.
#[derive(Debug)]
pub enum Poll {
    /// Finished; the answer holding the result.
    Done(Response),
    /// Not yet; the answer polled (for its `Retry-After`).
    Pending(Response),
}

/// How to wait for an operation.
#[derive(Debug, Clone, Copy)]
pub struct Poller {
    /// The pause when the service names none.
    pub default_delay: Duration,
    /// The longest pause, whatever `Retry-After` says.
    pub max_delay: Duration,
    pub timeout: Duration,
    /// A `Still waiting for ...` line at most this often (never when zero).
    pub progress_every: Duration,
}

impl Default for Poller {
    fn default() -> Self {
        Poller {
            default_delay: Duration::from_secs(5),
            max_delay: Duration::from_secs(60),
            timeout: Duration::from_secs(1200),
            progress_every: Duration::from_secs(30),
        }
    }
}

impl Poller {
    /// Call `step` until it answers [`Poll::Done`]; errors end the wait.
    pub fn run(&self, what: &str, mut step: impl FnMut() -> Result<Poll>) -> Result<Response> {
        super::wait::paced(what, self.timeout, self.progress_every, || {
            Ok(match step()? {
                Poll::Done(r) => ControlFlow::Break(r),
                Poll::Pending(r) => ControlFlow::Continue(
                    r.retry_after()
                        .unwrap_or(self.default_delay)
                        .min(self.max_delay),
                ),
            })
        })
    }
}

/// Which way an ARM operation is followed, read from its first answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ArmTrack {
    AsyncOperation(String),
    Location(String),
    ProvisioningState,
    Done,
}

impl ArmTrack {
    /// How to follow the answer `first` to `method`.
    pub fn of(method: &str, first: &Response) -> ArmTrack {
        if let Some(url) = first.header("azure-asyncoperation") {
            return ArmTrack::AsyncOperation(url.to_string());
        }
        if let Some(url) = first.header("location").filter(|_| first.status == 202) {
            return ArmTrack::Location(url.to_string());
        }
        let state = provisioning_state(&first.body);
        if matches!(method, "PUT" | "PATCH") && state.is_some_and(|s| !is_terminal(&s)) {
            return ArmTrack::ProvisioningState;
        }
        ArmTrack::Done
    }
}

/// `properties.provisioningState` of a resource body.
pub fn provisioning_state(body: &str) -> Option<String> {
    let v: Value = serde_json::from_str(body).ok()?;
    v["properties"]["provisioningState"]
        .as_str()
        .map(str::to_string)
}

fn is_terminal(state: &str) -> bool {
    matches!(state, "Succeeded" | "Failed" | "Canceled")
}

/// The error of a failed operation body (`{"status":"Failed","error":{...}}`, or a
/// resource whose provisioning failed).
fn failure(service: &'static str, body: &Value, state: &str) -> ApiError {
    let err = &body["error"];
    let code = err["code"].as_str().unwrap_or(state);
    let message = err["message"]
        .as_str()
        .map(str::to_string)
        .unwrap_or_else(|| format!("operation ended {state}"));
    ApiError::new(service, 200, code, &message)
}

/// One poll of an ARM operation of `method` on `resource_url` tracked by `track`;
/// `get` sends a signed GET (its non-2xx answers are errors).
pub fn arm_step(
    service: &'static str,
    method: &str,
    resource_url: &str,
    track: &ArmTrack,
    get: &mut dyn FnMut(&str) -> Result<Response>,
) -> Result<Poll> {
    match track {
        ArmTrack::Done => bail!("the operation had already ended"),
        ArmTrack::AsyncOperation(url) => {
            let resp = get(url)?;
            let body: Value = serde_json::from_str(&resp.body).unwrap_or(Value::Null);
            match body["status"].as_str().unwrap_or("") {
                "Succeeded" if matches!(method, "PUT" | "PATCH") => {
                    Ok(Poll::Done(get(resource_url)?))
                }
                "Succeeded" => Ok(Poll::Done(resp)),
                s @ ("Failed" | "Canceled") => Err(failure(service, &body, s).into()),
                _ => Ok(Poll::Pending(resp)),
            }
        }
        ArmTrack::Location(url) => {
            let resp = get(url)?;
            Ok(if resp.status == 202 {
                Poll::Pending(resp)
            } else {
                Poll::Done(resp)
            })
        }
        ArmTrack::ProvisioningState => {
            let resp = get(resource_url)?;
            let body: Value = serde_json::from_str(&resp.body).unwrap_or(Value::Null);
            match body["properties"]["provisioningState"]
                .as_str()
                .unwrap_or("")
            {
                "Succeeded" => Ok(Poll::Done(resp)),
                s @ ("Failed" | "Canceled") => Err(failure(service, &body, s).into()),
                _ => Ok(Poll::Pending(resp)),
            }
        }
    }
}

/// Follow the ARM operation that `first` (the answer to `method` on `resource_url`)
/// started, to its end; the final answer.
pub fn follow_arm(
    poller: &Poller,
    service: &'static str,
    method: &str,
    resource_url: &str,
    first: Response,
    mut get: impl FnMut(&str) -> Result<Response>,
) -> Result<Response> {
    let track = ArmTrack::of(method, &first);
    if track == ArmTrack::Done {
        return Ok(first);
    }
    let what = format!("{method} {}", short_id(resource_url));
    poller.run(&what, || {
        arm_step(service, method, resource_url, &track, &mut get)
    })
}

/// A resource URL without scheme, host and query, for messages.
fn short_id(url: &str) -> &str {
    let path = url.split_once("://").map_or(url, |(_, r)| r);
    let path = path.find('/').map_or(path, |i| &path[i..]);
    path.split('?').next().unwrap_or(path)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::RefCell;
    use std::collections::VecDeque;
    use std::time::Instant;

    fn resp(status: u16, body: &str, headers: &[(&str, &str)]) -> Response {
        Response {
            status,
            body: body.into(),
            headers: headers
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        }
    }

    fn quick() -> Poller {
        Poller {
            default_delay: Duration::from_millis(1),
            max_delay: Duration::from_millis(5),
            timeout: Duration::from_secs(5),
            progress_every: Duration::ZERO,
        }
    }

    /// A GET that answers from a script and records the URLs asked.
    fn script(answers: Vec<Response>) -> (RefCell<VecDeque<Response>>, RefCell<Vec<String>>) {
        (RefCell::new(answers.into()), RefCell::new(vec![]))
    }

    #[test]
    fn async_operation_then_the_resource() {
        let (answers, asked) = script(vec![
            resp(200, r#"{"status":"InProgress"}"#, &[("retry-after", "0")]),
            resp(200, r#"{"status":"Succeeded"}"#, &[]),
            resp(
                200,
                r#"{"name":"vm","properties":{"provisioningState":"Succeeded"}}"#,
                &[],
            ),
        ]);
        let first = resp(
            201,
            r#"{"properties":{"provisioningState":"Creating"}}"#,
            &[("azure-asyncoperation", "http://h/op/1")],
        );
        let out = follow_arm(
            &quick(),
            "Azure",
            "PUT",
            "http://h/vm?api-version=1",
            first,
            |u| {
                asked.borrow_mut().push(u.to_string());
                Ok(answers.borrow_mut().pop_front().unwrap())
            },
        )
        .unwrap();
        assert!(out.body.contains("\"vm\""));
        assert_eq!(
            *asked.borrow(),
            vec![
                "http://h/op/1",
                "http://h/op/1",
                "http://h/vm?api-version=1"
            ]
        );
    }

    #[test]
    fn failures_location_and_provisioning_state() {
        let first = resp(202, "", &[("azure-asyncoperation", "http://h/op/2")]);
        let e = follow_arm(&quick(), "Azure", "POST", "http://h/vm", first, |_| {
            Ok(resp(
                200,
                r#"{"status":"Failed","error":{"code":"QuotaExceeded","message":"Operation could not be completed as it results in exceeding approved quota."}}"#,
                &[],
            ))
        })
        .unwrap_err();
        assert_eq!(
            e.to_string(),
            "Azure API error QuotaExceeded: Operation could not be completed as it results in exceeding approved quota."
        );
        assert!(ApiError::has_code(&e, "QuotaExceeded"));

        let (answers, _) = script(vec![resp(202, "", &[]), resp(204, "", &[])]);
        let first = resp(202, "", &[("location", "http://h/loc")]);
        let out = follow_arm(&quick(), "Azure", "DELETE", "http://h/x", first, |_| {
            Ok(answers.borrow_mut().pop_front().unwrap())
        })
        .unwrap();
        assert_eq!(out.status, 204);

        let (answers, _) = script(vec![
            resp(
                200,
                r#"{"properties":{"provisioningState":"Updating"}}"#,
                &[],
            ),
            resp(
                200,
                r#"{"properties":{"provisioningState":"Succeeded"}}"#,
                &[],
            ),
        ]);
        let first = resp(
            201,
            r#"{"properties":{"provisioningState":"Creating"}}"#,
            &[],
        );
        assert_eq!(ArmTrack::of("PUT", &first), ArmTrack::ProvisioningState);
        follow_arm(&quick(), "Azure", "PUT", "http://h/x", first, |_| {
            Ok(answers.borrow_mut().pop_front().unwrap())
        })
        .unwrap();
        assert!(answers.borrow().is_empty());

        let done = resp(
            200,
            r#"{"properties":{"provisioningState":"Succeeded"}}"#,
            &[],
        );
        assert_eq!(ArmTrack::of("PUT", &done), ArmTrack::Done);
    }

    #[test]
    fn retry_after_is_honoured_and_the_deadline_kept() {
        let p = Poller {
            timeout: Duration::from_millis(50),
            max_delay: Duration::from_secs(60),
            ..quick()
        };
        // Retry-After: 1 s passes the 50 ms deadline: the poller gives up at once.
        let start = Instant::now();
        let e = p
            .run("x", || {
                Ok(Poll::Pending(resp(200, "", &[("retry-after", "1")])))
            })
            .unwrap_err();
        assert_eq!(e.to_string(), "timed out after 0s waiting for x");
        assert!(start.elapsed() < Duration::from_millis(500));
    }
}
