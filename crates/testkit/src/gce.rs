//! A stand-in for Compute Engine's REST API v1 and Google's OAuth2 token endpoint on
//! loopback: no emulator of them can stand in (`gcplocal` lacks start/stop and
//! metadata). Written from the published references (cloud.google.com/compute/docs/
//! reference/rest/v1, developers.google.com/identity/protocols/oauth2/service-account):
//!
//! From the references: the service-account JWT grant (`grant_type=urn:ietf:params:
//! oauth:grant-type:jwt-bearer`, an RS256 JWT whose signature is checked here with the
//! key's public half, `iss`/`aud`/`scope`/`exp` claims) and the refresh-token grant,
//! refused with `400 {"error": "invalid_grant", ...}`; the metadata server's token
//! (`Metadata-Flavor: Google` required); bearer tokens on every API call (401
//! `UNAUTHENTICATED` otherwise); error bodies `{"error": {"code", "message", "errors":
//! [{"reason"}], "status"}}` with 404 `notFound`; rate limits as 403
//! `rateLimitExceeded` or 429; changes answered with an operation (zonal for
//! instances and disks, global for firewalls) read at its `selfLink` path, `PENDING` then
//! `RUNNING` then `DONE`, with `error.errors[]` when it failed; instance statuses
//! `PROVISIONING`/`STAGING`/`RUNNING`/`STOPPING`/`TERMINATED`; boot disks made from
//! `initializeParams` or attached by `source`, deleted with the instance when
//! `autoDelete`; `setMetadata`/`setTags` need the current fingerprint (412
//! `conditionNotMet` otherwise); the firewall rule's `allowed[]` per protocol.
//!
//! Assumptions (not in the references, or shortened for speed): an operation is DONE
//! on its second read and its effect on the resource applied then; an unknown image
//! fails the insert at once with 404 (not in the operation); a quota failure ends the
//! insert's operation with `QUOTA_EXCEEDED` and makes nothing; exact message texts;
//! addresses are handed out from 127.0.0.0/8 so nothing leaves the machine.

use crate::fakeapi::{serve, Req, Resp};
use aws_lc_rs::signature::{self, KeyPair, RsaKeyPair, UnparsedPublicKey};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

pub const EMAIL: &str = "dm-test@proj-1.iam.gserviceaccount.com";
pub const REFRESH_TOKEN: &str = "1//refresh-test";

#[derive(Default)]
struct World {
    project: String,
    zones: Vec<String>,
    images: Vec<String>,
    public_key: Vec<u8>,
    tokens: Vec<String>,
    instance_limit: usize,
    firewalls: BTreeMap<String, Value>,
    instances: BTreeMap<String, Value>,
    disks: BTreeMap<String, Value>,
    addresses: BTreeMap<String, String>,
    ops: BTreeMap<String, Op>,
    next: u64,
    throttle: u32,
    refuse_metadata: bool,
    pub requests: u64,
    pub throttled: u64,
    pub token_grants: u64,
}

#[derive(Clone)]
struct Op {
    json: Value,
    reads: u32,
    effect: Effect,
}

#[derive(Clone)]
enum Effect {
    None,
    Status(String, &'static str),
    DeleteInstance(String),
    DeleteDisk(String),
}

#[derive(Clone)]
pub struct FakeGce {
    pub url: String,
    /// `host:port` for `GCE_METADATA_HOST`.
    pub metadata_host: String,
    private_pem: String,
    world: Arc<Mutex<World>>,
}

fn gerror(status: u16, reason: &str, message: &str) -> Resp {
    let s = match status {
        401 => "UNAUTHENTICATED",
        403 => "PERMISSION_DENIED",
        404 => "NOT_FOUND",
        409 => "ALREADY_EXISTS",
        412 => "FAILED_PRECONDITION",
        429 => "RESOURCE_EXHAUSTED",
        _ => "INVALID_ARGUMENT",
    };
    Resp::json(
        status,
        json!({"error": {"code": status, "message": message,
            "errors": [{"domain": "global", "reason": reason, "message": message}], "status": s}}),
    )
}

fn not_found(what: &str) -> Resp {
    gerror(
        404,
        "notFound",
        &format!("The resource '{what}' was not found"),
    )
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

impl FakeGce {
    /// A fake of project `project` with zones us-central1-a/b and europe-west1-b and
    /// the Ubuntu 24.04 family; a fresh RSA key for its service account.
    pub fn start(project: &str) -> FakeGce {
        let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_RSA_SHA256).unwrap();
        let private_pem = key.serialize_pem();
        let pair = RsaKeyPair::from_pkcs8(&key.serialize_der()).unwrap();
        let world = Arc::new(Mutex::new(World {
            project: project.to_string(),
            zones: ["us-central1-a", "us-central1-b", "europe-west1-b"]
                .map(String::from)
                .to_vec(),
            images: [
                "ubuntu-os-cloud/global/images/family/ubuntu-2404-lts-amd64",
                "debian-cloud/global/images/family/debian-12",
            ]
            .map(String::from)
            .to_vec(),
            public_key: pair.public_key().as_ref().to_vec(),
            instance_limit: 24,
            ..World::default()
        }));
        let w = world.clone();
        let port = serve(Arc::new(move |req: &Req| {
            let port = req.header("host").unwrap_or("").to_string();
            w.lock().unwrap().handle(req, &port)
        }));
        FakeGce {
            url: format!("http://127.0.0.1:{port}/compute/v1"),
            metadata_host: format!("127.0.0.1:{port}"),
            private_pem,
            world,
        }
    }

    fn token_uri(&self) -> String {
        format!("http://{}/token", self.metadata_host)
    }

    /// Write a service-account key file; `forged` signs with another key.
    pub fn write_service_account(&self, path: &Path, forged: bool) {
        let pem = if forged {
            rcgen::KeyPair::generate_for(&rcgen::PKCS_RSA_SHA256)
                .unwrap()
                .serialize_pem()
        } else {
            self.private_pem.clone()
        };
        let v = json!({
            "type": "service_account",
            "project_id": self.world.lock().unwrap().project,
            "private_key_id": "k1",
            "private_key": pem,
            "client_email": EMAIL,
            "client_id": "1",
            "token_uri": self.token_uri(),
        });
        std::fs::write(path, v.to_string()).unwrap();
    }

    /// Write a gcloud user's credentials file.
    pub fn write_authorized_user(&self, path: &Path) {
        let v = json!({
            "type": "authorized_user",
            "client_id": "cid.apps.googleusercontent.com",
            "client_secret": "secret",
            "refresh_token": REFRESH_TOKEN,
            "token_uri": self.token_uri(),
        });
        std::fs::write(path, v.to_string()).unwrap();
    }

    /// Refuse the next `n` API calls as rate-limited (403 and 429 by turns).
    pub fn throttle(&self, n: u32) {
        self.world.lock().unwrap().throttle = n;
    }

    /// Refuse `setMetadata` (403 `forbidden`), to fail a create after its insert.
    pub fn refuse_metadata(&self, refuse: bool) {
        self.world.lock().unwrap().refuse_metadata = refuse;
    }

    pub fn set_instance_limit(&self, n: usize) {
        self.world.lock().unwrap().instance_limit = n;
    }

    /// Reserve a static address `name` in `region`.
    pub fn reserve_address(&self, region: &str, name: &str, ip: &str) {
        let mut w = self.world.lock().unwrap();
        w.addresses
            .insert(format!("{region}/{name}"), ip.to_string());
    }

    /// (API calls answered, of which throttled, tokens granted).
    pub fn counts(&self) -> (u64, u64, u64) {
        let w = self.world.lock().unwrap();
        (w.requests, w.throttled, w.token_grants)
    }

    pub fn instances(&self) -> Vec<Value> {
        self.world
            .lock()
            .unwrap()
            .instances
            .values()
            .cloned()
            .collect()
    }

    pub fn disks(&self) -> Vec<Value> {
        self.world.lock().unwrap().disks.values().cloned().collect()
    }

    pub fn firewall(&self, name: &str) -> Option<Value> {
        self.world.lock().unwrap().firewalls.get(name).cloned()
    }

    /// Make an instance the user made themselves (for `--google-use-existing`).
    pub fn add_instance(&self, zone: &str, name: &str) {
        let mut w = self.world.lock().unwrap();
        let n = w.bump();
        let inst = json!({
            "name": name, "zone": zone, "status": "RUNNING",
            "tags": {"items": ["web"], "fingerprint": format!("t{n}")},
            "metadata": {"items": [], "fingerprint": format!("m{n}")},
            "networkInterfaces": [{"networkIP": format!("127.0.4.{}", n % 250 + 2),
                "accessConfigs": [{"type": "ONE_TO_ONE_NAT", "natIP": format!("127.0.3.{}", n % 250 + 2)}]}],
            "disks": [],
        });
        w.instances.insert(format!("{zone}/{name}"), inst);
    }

    /// Delete an instance behind the driver's back; its boot disk stays when `keep_disk`.
    pub fn drop_instance(&self, zone: &str, name: &str, keep_disk: bool) {
        let mut w = self.world.lock().unwrap();
        if let Some(inst) = w.instances.remove(&format!("{zone}/{name}")) {
            if !keep_disk {
                for d in inst["disks"].as_array().into_iter().flatten() {
                    let disk = d["source"]
                        .as_str()
                        .unwrap_or("")
                        .rsplit('/')
                        .next()
                        .unwrap_or("");
                    w.disks.remove(&format!("{zone}/{disk}"));
                }
            }
        }
    }
}

impl World {
    fn bump(&mut self) -> u64 {
        self.next += 1;
        self.next
    }

    fn handle(&mut self, req: &Req, host: &str) -> Resp {
        let route = req.route().to_string();
        if route == "/token" {
            return self.token(req);
        }
        if route == "/computeMetadata/v1/instance/service-accounts/default/token" {
            if req.header("metadata-flavor") != Some("Google") {
                return Resp {
                    status: 403,
                    body: "Missing Metadata-Flavor:Google header.".into(),
                    ..Resp::default()
                };
            }
            return self.grant();
        }
        self.requests += 1;
        let token = req
            .header("authorization")
            .and_then(|a| a.strip_prefix("Bearer "));
        if !token.is_some_and(|t| self.tokens.iter().any(|x| x == t)) {
            return gerror(401, "authError", "Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential.");
        }
        if self.throttle > 0 {
            self.throttle -= 1;
            self.throttled += 1;
            return if self.throttle.is_multiple_of(2) {
                gerror(403, "rateLimitExceeded", "Rate Limit Exceeded")
            } else {
                gerror(
                    429,
                    "rateLimitExceeded",
                    "Quota exceeded for quota metric 'Queries' and limit 'Queries per minute'.",
                )
            };
        }
        let Some(rest) = route.strip_prefix("/compute/v1/projects/") else {
            return not_found(&route);
        };
        let mut parts: Vec<String> = rest.split('/').map(String::from).collect();
        let project = parts.remove(0);
        if project != self.project {
            return not_found(&format!("projects/{project}"));
        }
        let p: Vec<&str> = parts.iter().map(String::as_str).collect();
        let _ = host;
        let body = req.json();
        match (req.method.as_str(), p.as_slice()) {
            ("GET", []) => Resp::json(
                200,
                json!({"kind": "compute#project", "name": self.project}),
            ),
            ("GET", ["zones", z]) => {
                if self.zones.iter().any(|x| x == z) {
                    Resp::json(
                        200,
                        json!({"kind": "compute#zone", "name": z, "status": "UP"}),
                    )
                } else {
                    not_found(&format!("projects/{}/zones/{z}", self.project))
                }
            }
            ("GET", ["global", "operations", name]) | ("GET", ["zones", _, "operations", name]) => {
                self.read_op(name)
            }
            ("GET", ["global", "firewalls", name]) => match self.firewalls.get(*name) {
                Some(f) => Resp::json(200, f.clone()),
                None => not_found(&format!(
                    "projects/{}/global/firewalls/{name}",
                    self.project
                )),
            },
            ("POST", ["global", "firewalls"]) => {
                let name = body["name"].as_str().unwrap_or("").to_string();
                if self.firewalls.contains_key(&name) {
                    return gerror(
                        409,
                        "alreadyExists",
                        &format!(
                            "The resource 'projects/{}/global/firewalls/{name}' already exists",
                            self.project
                        ),
                    );
                }
                self.firewalls.insert(name.clone(), body);
                self.op(
                    None,
                    &format!("global/firewalls/{name}"),
                    "insert",
                    Effect::None,
                    None,
                )
            }
            ("PUT", ["global", "firewalls", name]) => {
                if !self.firewalls.contains_key(*name) {
                    return not_found(name);
                }
                self.firewalls.insert(name.to_string(), body);
                self.op(
                    None,
                    &format!("global/firewalls/{name}"),
                    "update",
                    Effect::None,
                    None,
                )
            }
            ("GET", ["regions", r, "addresses", name]) => {
                match self.addresses.get(&format!("{r}/{name}")) {
                    Some(ip) => Resp::json(
                        200,
                        json!({"name": name, "address": ip, "status": "RESERVED"}),
                    ),
                    None => not_found(&format!(
                        "projects/{}/regions/{r}/addresses/{name}",
                        self.project
                    )),
                }
            }
            ("GET", ["zones", z, "disks", d]) => match self.disks.get(&format!("{z}/{d}")) {
                Some(v) => Resp::json(200, v.clone()),
                None => not_found(&format!("projects/{}/zones/{z}/disks/{d}", self.project)),
            },
            ("DELETE", ["zones", z, "disks", d]) => {
                let key = format!("{z}/{d}");
                if !self.disks.contains_key(&key) {
                    return not_found(&key);
                }
                if self.instances.values().any(|i| {
                    i["disks"].as_array().into_iter().flatten().any(|x| {
                        x["source"]
                            .as_str()
                            .unwrap_or("")
                            .ends_with(&format!("/disks/{d}"))
                    })
                }) {
                    return gerror(
                        400,
                        "resourceInUseByAnotherResource",
                        &format!("The disk resource '{d}' is already being used"),
                    );
                }
                self.op(
                    Some(z),
                    &format!("zones/{z}/disks/{d}"),
                    "delete",
                    Effect::DeleteDisk(key),
                    None,
                )
            }
            ("POST", ["zones", z, "instances"]) => self.insert_instance(z, body),
            ("GET", ["zones", z, "instances", n]) => {
                match self.instances.get(&format!("{z}/{n}")) {
                    Some(v) => Resp::json(200, v.clone()),
                    None => not_found(&format!(
                        "projects/{}/zones/{z}/instances/{n}",
                        self.project
                    )),
                }
            }
            ("DELETE", ["zones", z, "instances", n]) => {
                let key = format!("{z}/{n}");
                if !self.instances.contains_key(&key) {
                    return not_found(&format!(
                        "projects/{}/zones/{z}/instances/{n}",
                        self.project
                    ));
                }
                self.instances.get_mut(&key).unwrap()["status"] = "STOPPING".into();
                self.op(
                    Some(z),
                    &format!("zones/{z}/instances/{n}"),
                    "delete",
                    Effect::DeleteInstance(key),
                    None,
                )
            }
            ("POST", ["zones", z, "instances", n, action]) => {
                self.instance_action(z, n, action, body)
            }
            _ => not_found(&route),
        }
    }

    fn token(&mut self, req: &Req) -> Resp {
        let form: BTreeMap<String, String> = String::from_utf8_lossy(&req.body)
            .split('&')
            .filter_map(|kv| kv.split_once('='))
            .map(|(k, v)| (k.to_string(), v.replace("%3A", ":").replace("%2F", "/")))
            .collect();
        let refuse = |m: &str| {
            Resp::json(
                400,
                json!({"error": "invalid_grant", "error_description": m}),
            )
        };
        match form.get("grant_type").map(String::as_str) {
            Some("urn:ietf:params:oauth:grant-type:jwt-bearer") => {
                let jwt = form.get("assertion").cloned().unwrap_or_default();
                let parts: Vec<&str> = jwt.split('.').collect();
                if parts.len() != 3 {
                    return refuse("Invalid JWT: Token must be a short-lived token and in a reasonable timeframe");
                }
                let sig = URL_SAFE_NO_PAD.decode(parts[2]).unwrap_or_default();
                let signed = format!("{}.{}", parts[0], parts[1]);
                let key = UnparsedPublicKey::new(
                    &signature::RSA_PKCS1_2048_8192_SHA256,
                    &self.public_key,
                );
                if key.verify(signed.as_bytes(), &sig).is_err() {
                    return refuse("Invalid JWT Signature.");
                }
                let header: Value =
                    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[0]).unwrap_or_default())
                        .unwrap_or(Value::Null);
                let claims: Value =
                    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).unwrap_or_default())
                        .unwrap_or(Value::Null);
                let t = now();
                let ok = header["alg"] == "RS256"
                    && claims["iss"] == EMAIL
                    && claims["aud"]
                        .as_str()
                        .is_some_and(|a| a.ends_with("/token"))
                    && claims["scope"]
                        .as_str()
                        .is_some_and(|s| s.contains("auth/compute"))
                    && claims["iat"].as_u64().is_some_and(|i| i <= t + 60)
                    && claims["exp"]
                        .as_u64()
                        .is_some_and(|e| e > t && e <= t + 3700);
                if !ok {
                    return refuse("Invalid JWT: Token must be a short-lived token and in a reasonable timeframe");
                }
                self.grant()
            }
            Some("refresh_token") => {
                if form.get("refresh_token").map(String::as_str) != Some(REFRESH_TOKEN) {
                    return refuse("Token has been expired or revoked.");
                }
                self.grant()
            }
            _ => Resp::json(
                400,
                json!({"error": "unsupported_grant_type", "error_description": "Invalid grant_type"}),
            ),
        }
    }

    fn grant(&mut self) -> Resp {
        self.token_grants += 1;
        let token = format!("ya29.fake-{}", self.bump());
        self.tokens.push(token.clone());
        Resp::json(
            200,
            json!({"access_token": token, "expires_in": 3599, "token_type": "Bearer"}),
        )
    }

    fn op(
        &mut self,
        zone: Option<&str>,
        target: &str,
        kind: &str,
        effect: Effect,
        error: Option<Value>,
    ) -> Resp {
        let name = format!("operation-{}", self.bump());
        let mut json = json!({
            "kind": "compute#operation", "name": name, "operationType": kind, "status": "PENDING",
            "targetLink": format!("https://www.googleapis.com/compute/v1/projects/{}/{target}", self.project),
            "selfLink": format!("https://www.googleapis.com/compute/v1/projects/{}/{}operations/{name}", self.project,
                zone.map(|z| format!("zones/{z}/")).unwrap_or_else(|| "global/".into())),
        });
        if let Some(z) = zone {
            json["zone"] = format!(
                "https://www.googleapis.com/compute/v1/projects/{}/zones/{z}",
                self.project
            )
            .into();
        }
        if let Some(e) = error {
            json["error"] = e;
        }
        self.ops.insert(
            name,
            Op {
                json: json.clone(),
                reads: 0,
                effect,
            },
        );
        Resp::json(200, json)
    }

    fn read_op(&mut self, name: &str) -> Resp {
        let Some(op) = self.ops.get_mut(name) else {
            return not_found(name);
        };
        op.reads += 1;
        let done = op.reads >= 2 || op.json.get("error").is_some();
        op.json["status"] = if done { "DONE" } else { "RUNNING" }.into();
        let effect = if done {
            std::mem::replace(&mut op.effect, Effect::None)
        } else {
            Effect::None
        };
        let json = op.json.clone();
        if done {
            match effect {
                Effect::None => {}
                Effect::Status(key, s) => {
                    if let Some(i) = self.instances.get_mut(&key) {
                        i["status"] = s.into();
                    }
                }
                Effect::DeleteInstance(key) => {
                    if let Some(inst) = self.instances.remove(&key) {
                        let zone = key.split('/').next().unwrap_or("").to_string();
                        for d in inst["disks"].as_array().into_iter().flatten() {
                            if d["autoDelete"] == true {
                                let disk = d["source"]
                                    .as_str()
                                    .unwrap_or("")
                                    .rsplit('/')
                                    .next()
                                    .unwrap_or("");
                                self.disks.remove(&format!("{zone}/{disk}"));
                            }
                        }
                    }
                }
                Effect::DeleteDisk(key) => {
                    self.disks.remove(&key);
                }
            }
        }
        Resp::json(200, json)
    }

    fn insert_instance(&mut self, z: &str, mut body: Value) -> Resp {
        if !self.zones.iter().any(|x| x == z) {
            return gerror(
                400,
                "invalid",
                &format!("Invalid value for field 'zone': '{z}'. Unknown zone."),
            );
        }
        let name = body["name"].as_str().unwrap_or("").to_string();
        let key = format!("{z}/{name}");
        if self.instances.contains_key(&key) {
            return gerror(
                409,
                "alreadyExists",
                &format!(
                    "The resource 'projects/{}/zones/{z}/instances/{name}' already exists",
                    self.project
                ),
            );
        }
        let disk = body["disks"][0].clone();
        let disk_name;
        if let Some(src) = disk["source"].as_str() {
            disk_name = src.rsplit('/').next().unwrap_or("").to_string();
            if !self.disks.contains_key(&format!("{z}/{disk_name}")) {
                return not_found(src);
            }
        } else {
            let p = &disk["initializeParams"];
            let image = p["sourceImage"].as_str().unwrap_or("");
            let short = image.trim_start_matches("https://www.googleapis.com/compute/v1/projects/");
            if !self.images.iter().any(|i| i == short) {
                return not_found(&format!("projects/{short}"));
            }
            disk_name = p["diskName"].as_str().unwrap_or("").to_string();
        }
        let n = self.bump();
        if self.instances.len() >= self.instance_limit {
            let err = json!({"errors": [{"code": "QUOTA_EXCEEDED", "message": format!("Quota 'CPUS' exceeded.  Limit: {}.0 in region {}.", self.instance_limit, &z[..z.len() - 2])}]});
            return self.op(
                Some(z),
                &format!("zones/{z}/instances/{name}"),
                "insert",
                Effect::None,
                Some(err),
            );
        }
        if disk["source"].is_null() {
            let p = &disk["initializeParams"];
            self.disks.insert(format!("{z}/{disk_name}"), json!({
                "name": disk_name, "sizeGb": p["diskSizeGb"], "type": p["diskType"], "sourceImage": p["sourceImage"], "status": "READY",
            }));
        }
        body["disks"][0] = json!({"boot": true, "autoDelete": disk["autoDelete"], "source": format!("https://www.googleapis.com/compute/v1/projects/{}/zones/{z}/disks/{disk_name}", self.project)});
        body["status"] = "PROVISIONING".into();
        body["zone"] = z.into();
        body["metadata"] = json!({"items": body["metadata"]["items"].as_array().cloned().unwrap_or_default(), "fingerprint": format!("m{n}")});
        body["tags"]["fingerprint"] = format!("t{n}").into();
        let nic = &mut body["networkInterfaces"][0];
        nic["networkIP"] = format!("127.0.4.{}", n % 250 + 2).into();
        if let Some(ac) = nic["accessConfigs"].get_mut(0) {
            if ac["natIP"].is_null() {
                ac["natIP"] = format!("127.0.3.{}", n % 250 + 2).into();
            }
        }
        self.instances.insert(key.clone(), body);
        self.op(
            Some(z),
            &format!("zones/{z}/instances/{name}"),
            "insert",
            Effect::Status(key, "RUNNING"),
            None,
        )
    }

    fn instance_action(&mut self, z: &str, n: &str, action: &str, body: Value) -> Resp {
        let key = format!("{z}/{n}");
        let project = self.project.clone();
        let Some(inst) = self.instances.get_mut(&key) else {
            return not_found(&format!("projects/{project}/zones/{z}/instances/{n}"));
        };
        let fp = self.next + 1;
        match action {
            "stop" => {
                inst["status"] = "STOPPING".into();
                self.op(
                    Some(z),
                    &key,
                    "stop",
                    Effect::Status(key.clone(), "TERMINATED"),
                    None,
                )
            }
            "start" => {
                inst["status"] = "STAGING".into();
                self.op(
                    Some(z),
                    &key,
                    "start",
                    Effect::Status(key.clone(), "RUNNING"),
                    None,
                )
            }
            "setMetadata" if self.refuse_metadata => gerror(
                403,
                "forbidden",
                "Required 'compute.instances.setMetadata' permission for 'projects/x'",
            ),
            "setMetadata" | "setTags" => {
                let field = if action == "setMetadata" {
                    "metadata"
                } else {
                    "tags"
                };
                if body["fingerprint"] != inst[field]["fingerprint"] {
                    return gerror(
                        412,
                        "conditionNotMet",
                        &format!(
                            "Supplied fingerprint does not match current {field} fingerprint."
                        ),
                    );
                }
                let mut v = body;
                v["fingerprint"] = format!("{}{fp}", &field[..1]).into();
                inst[field] = v;
                self.bump();
                self.op(Some(z), &key, action, Effect::None, None)
            }
            _ => gerror(400, "invalid", &format!("Unknown action {action}")),
        }
    }
}
