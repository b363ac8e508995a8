//! A fake Azure Resource Manager on loopback: no emulator of Azure's compute and network
//! APIs exists (the registries hold only SDKs, the storage-only Azurite and generic
//! mocks), so this one is written from Azure's REST reference (azure-rest-api-specs:
//! Microsoft.Compute 2024-07-01, Microsoft.Network 2024-05-01, Microsoft.Resources
//! 2021-04-01, Microsoft.Storage 2023-05-01) and Microsoft identity platform's OAuth2
//! documentation, for exactly the calls the azure driver makes.
//!
//! One HTTP server holds three services: ARM at `/subscriptions/...`, the login
//! authority at `/login/<tenant>/oauth2/v2.0/...`, the instance metadata service at
//! `/metadata/identity/oauth2/token`.
//!
//! From the reference:
//! * every ARM request carries `api-version`: missing is `400
//!   MissingApiVersionParameter`, one the provider does not serve `400
//!   NoRegisteredProviderFound` (`InvalidApiVersionParameter` for resource groups);
//! * no or an unknown bearer token: `401` with `WWW-Authenticate: Bearer
//!   authorization_uri="<authority>/<tenant>", error="invalid_token"`;
//! * PUT answers 201 for a new resource and 200 for an update; long-running PUTs,
//!   DELETEs and POST actions answer with `Azure-AsyncOperation` (and `Location` for
//!   DELETE/POST, 202), the operation's status `InProgress` then `Succeeded` or
//!   `Failed` with `error {code, message}`; a DELETE of nothing answers 204;
//! * error bodies `{"error":{"code","message"}}`; 429 and 503 with `Retry-After`;
//! * back-references computed on GET: subnet `ipConfigurations`, NIC `virtualMachine`,
//!   public IP `ipConfiguration`, NSG `networkInterfaces`, availability set
//!   `virtualMachines`; deletes of in-use resources refused (`InUseSubnetCannotBeDeleted`,
//!   `NicInUse`, `PublicIPAddressCannotBeDeleted`,
//!   `InUseNetworkSecurityGroupCannotBeDeleted`);
//! * the VM power states (`PowerState/starting|running|stopping|stopped|deallocating|
//!   deallocated`) in the instance view (`$expand=instanceView`);
//! * a Standard public IP must be Static; a Dynamic (Basic) one has an address only
//!   while its VM runs (released on deallocate);
//! * the OS disk of a VM is deleted with it when `deleteOption` is `Delete`;
//! * device code: `authorization_pending` until the user "signs in", `slow_down`,
//!   `invalid_client` for a bad secret.
//!
//! Assumptions (not pinned down by the reference; chosen to be plausible):
//! * the order and timing of operations: each completes after `polls` status reads;
//!   power transitions complete with their operation;
//! * which failures are synchronous: an unknown image is `404 PlatformImageNotFound`
//!   and a quota overrun `409 OperationNotAllowed` on the PUT; a size not available
//!   fails the operation (`SkuNotAvailable`);
//! * an availability set with VMs refuses deletion with `409 OperationNotAllowed`;
//! * the 429 code `TooManyRequests`; addresses: public IPs in 127.100.0.0/16 (so that
//!   nothing ever dials outside loopback), private ones from the subnet's prefix.

use serde_json::{json, Value};
use std::collections::{BTreeMap, HashMap};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};

pub const COMPUTE_API: &str = "2024-07-01";
pub const NETWORK_API: &str = "2024-05-01";
pub const RESOURCES_API: &str = "2021-04-01";
pub const STORAGE_API: &str = "2023-05-01";
pub const SUBSCRIPTIONS_API: &str = "2022-12-01";

/// What the fake knows and how it misbehaves; change it through [`FakeArm::with`].
#[derive(Debug, Clone)]
pub struct Config {
    pub subscription: String,
    pub tenant: String,
    /// The service principal: client id and secret.
    pub client_id: String,
    pub client_secret: String,
    /// Device code: `authorization_pending` answers before the user has signed in.
    pub device_pending_polls: u32,
    /// Device code: a `slow_down` answer first.
    pub device_slow_down: bool,
    /// Status reads before an operation ends.
    pub polls: u32,
    /// `Retry-After` on operation answers (seconds).
    pub retry_after: u64,
    /// Images `publisher:offer:sku` known in every location.
    pub images: Vec<String>,
    /// VM sizes and their cores.
    pub sizes: Vec<(String, u32)>,
    /// Cores the subscription may use.
    pub core_quota: u32,
    /// The next N ARM requests answer 429 (`Retry-After: 1`).
    pub throttle_next: u32,
    /// The next N ARM requests answer 503 (`Retry-After: 1`).
    pub unavailable_next: u32,
    /// The next operation on a resource whose id contains this fails with (code, message).
    pub fail_operation: Option<(String, String, String)>,
    /// Token lifetime in seconds.
    pub token_lifetime: u64,
    /// Resource providers not registered in the subscription (until a POST register).
    pub unregistered: Vec<String>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            subscription: "00000000-1111-2222-3333-444444444444".into(),
            tenant: "72f988bf-86f1-41af-91ab-2d7cd011db47".into(),
            client_id: "sp-client".into(),
            client_secret: "sp-secret".into(),
            device_pending_polls: 1,
            device_slow_down: true,
            polls: 1,
            retry_after: 0,
            images: vec!["canonical:ubuntu-24_04-lts:server-gen1".into()],
            sizes: vec![("Standard_D2_v2".into(), 2), ("Standard_B1s".into(), 1)],
            core_quota: 20,
            throttle_next: 0,
            unavailable_next: 0,
            fail_operation: None,
            token_lifetime: 3600,
            unregistered: vec!["Microsoft.Compute".into()],
        }
    }
}

struct Operation {
    polls_left: u32,
    /// Resource id and what happens when it ends.
    target: String,
    effect: Effect,
    failure: Option<(String, String)>,
}

enum Effect {
    Provisioned,
    Deleted,
    Power(&'static str),
}

#[derive(Default)]
struct World {
    /// Lower-cased resource id → (id as created, body).
    resources: BTreeMap<String, (String, Value)>,
    groups: BTreeMap<String, Value>,
    operations: HashMap<String, Operation>,
    tokens: HashMap<String, ()>,
    refresh_tokens: HashMap<String, ()>,
    device_codes: HashMap<String, u32>,
    failures_used: Vec<(String, String, String)>,
    next_id: u64,
    arm_calls: u64,
    login_calls: u64,
    log: Vec<String>,
}

/// The running fake; stops when dropped (its thread ends with the process).
pub struct FakeArm {
    url: String,
    config: Arc<Mutex<Config>>,
    world: Arc<Mutex<World>>,
}

impl FakeArm {
    pub fn start(config: Config) -> FakeArm {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let config = Arc::new(Mutex::new(config));
        let world = Arc::new(Mutex::new(World::default()));
        let (c, w, base) = (config.clone(), world.clone(), url.clone());
        std::thread::spawn(move || {
            for conn in listener.incoming().flatten() {
                let (c, w, base) = (c.clone(), w.clone(), base.clone());
                std::thread::spawn(move || {
                    let _ = serve(conn, &c, &w, &base);
                });
            }
        });
        FakeArm { url, config, world }
    }

    /// ARM's base URL (`http://127.0.0.1:port`).
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The login authority (`<url>/login`).
    pub fn authority(&self) -> String {
        format!("{}/login", self.url)
    }

    pub fn config(&self) -> Config {
        self.config.lock().unwrap().clone()
    }

    /// Change the configuration (failures to inject, poll counts...).
    pub fn with(&self, f: impl FnOnce(&mut Config)) {
        f(&mut self.config.lock().unwrap())
    }

    /// Requests to ARM (login and metadata excluded) so far.
    pub fn arm_calls(&self) -> u64 {
        self.world.lock().unwrap().arm_calls
    }

    pub fn login_calls(&self) -> u64 {
        self.world.lock().unwrap().login_calls
    }

    /// `METHOD path` of every ARM request, in order.
    pub fn log(&self) -> Vec<String> {
        self.world.lock().unwrap().log.clone()
    }

    /// The ids of every resource (resource groups excluded), as created.
    pub fn resource_ids(&self) -> Vec<String> {
        let w = self.world.lock().unwrap();
        w.resources.values().map(|(id, _)| id.clone()).collect()
    }

    /// The resource groups' names.
    pub fn groups(&self) -> Vec<String> {
        let w = self.world.lock().unwrap();
        w.groups
            .values()
            .map(|g| g["name"].as_str().unwrap_or("").to_string())
            .collect()
    }

    /// A resource's body (with its computed back-references), if it exists.
    pub fn resource(&self, id: &str) -> Option<Value> {
        let w = self.world.lock().unwrap();
        w.resources
            .get(&id.to_lowercase())
            .map(|(_, v)| decorate(&w, v))
    }

    /// Put a resource in place directly (a vnet made by someone else, a machine of
    /// 0.16.2's time); `id` is its full ARM id.
    pub fn insert(&self, id: &str, body: Value) {
        let mut w = self.world.lock().unwrap();
        let mut body = body;
        body["id"] = json!(id);
        body["name"] = json!(id.rsplit('/').next().unwrap());
        if body["properties"]["provisioningState"].is_null() {
            body["properties"]["provisioningState"] = json!("Succeeded");
        }
        w.resources
            .insert(id.to_lowercase(), (id.to_string(), body));
    }

    /// Make a resource group directly.
    pub fn insert_group(&self, name: &str, location: &str) {
        let sub = self.config().subscription;
        let mut w = self.world.lock().unwrap();
        w.groups.insert(
            name.to_lowercase(),
            json!({"id": format!("/subscriptions/{sub}/resourceGroups/{name}"), "name": name, "location": location, "properties": {"provisioningState": "Succeeded"}}),
        );
    }

    /// A VM's power state (`running`, `stopped`...).
    pub fn power_state(&self, vm_id: &str) -> Option<String> {
        self.resource(vm_id)
            .and_then(|v| v["powerState"].as_str().map(str::to_string))
    }

    /// An access token for the fake's tenant, as a login would give (for tests that
    /// need no login flow).
    pub fn issue_token(&self) -> String {
        let mut w = self.world.lock().unwrap();
        issue(&mut w).0
    }
}

fn issue(w: &mut World) -> (String, String) {
    w.next_id += 1;
    let access = format!("eyJ0eXAi.fake-access-{}", w.next_id);
    let refresh = format!("fake-refresh-{}", w.next_id);
    w.tokens.insert(access.clone(), ());
    w.refresh_tokens.insert(refresh.clone(), ());
    (access, refresh)
}

struct Req {
    method: String,
    path: String,
    query: Vec<(String, String)>,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Req {
    fn q(&self, k: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.as_str())
    }
    fn header(&self, k: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(k))
            .map(|(_, v)| v.as_str())
    }
    fn form(&self) -> HashMap<String, String> {
        parse_pairs(&String::from_utf8_lossy(&self.body))
            .into_iter()
            .collect()
    }
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or(Value::Null)
    }
}

struct Resp {
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
}

fn resp(status: u16, body: Value) -> Resp {
    Resp {
        status,
        headers: vec![],
        body: if body.is_null() {
            String::new()
        } else {
            body.to_string()
        },
    }
}

fn error(status: u16, code: &str, message: &str) -> Resp {
    resp(status, json!({"error": {"code": code, "message": message}}))
}

fn decode(s: &str) -> String {
    let s = s.replace('+', " ");
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            if let Ok(v) = u8::from_str_radix(&s[i + 1..i + 3], 16) {
                out.push(v);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn parse_pairs(s: &str) -> Vec<(String, String)> {
    s.split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (decode(k), decode(v))
        })
        .collect()
}

fn serve(conn: TcpStream, c: &Mutex<Config>, w: &Mutex<World>, base: &str) -> std::io::Result<()> {
    let mut reader = BufReader::new(conn.try_clone()?);
    let mut line = String::new();
    reader.read_line(&mut line)?;
    let mut parts = line.split_whitespace();
    let method = parts.next().unwrap_or("").to_string();
    let target = parts.next().unwrap_or("").to_string();
    let mut headers = Vec::new();
    let mut len = 0;
    loop {
        let mut h = String::new();
        reader.read_line(&mut h)?;
        if h == "\r\n" || h.is_empty() {
            break;
        }
        if let Some((k, v)) = h.trim_end().split_once(':') {
            if k.eq_ignore_ascii_case("content-length") {
                len = v.trim().parse().unwrap_or(0);
            }
            headers.push((k.trim().to_string(), v.trim().to_string()));
        }
    }
    let mut body = vec![0; len];
    reader.read_exact(&mut body)?;
    let (path, query) = target.split_once('?').unwrap_or((&target, ""));
    let req = Req {
        method,
        path: decode(path),
        query: parse_pairs(query),
        headers,
        body,
    };
    let r = handle(&req, c, w, base);
    let mut out = conn;
    let mut head = format!("HTTP/1.1 {} X\r\n", r.status);
    for (k, v) in &r.headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str(&format!(
        "Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        r.body.len()
    ));
    out.write_all(head.as_bytes())?;
    out.write_all(r.body.as_bytes())?;
    out.flush()
}

fn handle(req: &Req, c: &Mutex<Config>, w: &Mutex<World>, base: &str) -> Resp {
    if let Some(rest) = req.path.strip_prefix("/login/") {
        w.lock().unwrap().login_calls += 1;
        return login(req, rest, c, w, base);
    }
    if req.path == "/metadata/identity/oauth2/token" {
        w.lock().unwrap().login_calls += 1;
        return imds(req, c, w);
    }
    let mut cfg = c.lock().unwrap();
    let mut world = w.lock().unwrap();
    world.arm_calls += 1;
    world.log.push(format!("{} {}", req.method, req.path));
    if cfg.throttle_next > 0 {
        cfg.throttle_next -= 1;
        let mut r = error(
            429,
            "TooManyRequests",
            "The request is being throttled as the limit has been reached for operation type.",
        );
        r.headers.push(("Retry-After".into(), "1".into()));
        return r;
    }
    if cfg.unavailable_next > 0 {
        cfg.unavailable_next -= 1;
        let mut r = error(
            503,
            "ServiceUnavailable",
            "The service is temporarily unavailable.",
        );
        r.headers.push(("Retry-After".into(), "1".into()));
        return r;
    }
    let segs: Vec<&str> = req.path.trim_matches('/').split('/').collect();
    if segs.len() < 2 || !segs[0].eq_ignore_ascii_case("subscriptions") {
        return error(404, "NotFound", "no such route");
    }
    let authorized = req
        .header("authorization")
        .and_then(|h| h.strip_prefix("Bearer "))
        .is_some_and(|t| world.tokens.contains_key(t));
    if !authorized {
        let mut r = error(
            401,
            "AuthenticationFailed",
            "Authentication failed. The 'Authorization' header is missing or invalid.",
        );
        r.headers.push((
            "WWW-Authenticate".into(),
            format!(
                "Bearer authorization_uri=\"{base}/login/{}\", error=\"invalid_token\", error_description=\"The authentication failed because of missing 'Authorization' header.\"",
                cfg.tenant
            ),
        ));
        return r;
    }
    if segs[1] != cfg.subscription {
        return error(
            404,
            "SubscriptionNotFound",
            &format!("The subscription '{}' could not be found.", segs[1]),
        );
    }
    let Some(version) = req.q("api-version") else {
        return error(
            400,
            "MissingApiVersionParameter",
            "The api-version query parameter (?api-version=) is required for all requests.",
        );
    };
    arm(req, &segs, version, &mut cfg, &mut world, base)
}

fn login(req: &Req, rest: &str, c: &Mutex<Config>, w: &Mutex<World>, _base: &str) -> Resp {
    let cfg = c.lock().unwrap().clone();
    let mut world = w.lock().unwrap();
    let (tenant, endpoint) = rest.split_once('/').unwrap_or((rest, ""));
    if tenant != cfg.tenant && tenant != "organizations" && tenant != "common" {
        return resp(
            400,
            json!({"error": "invalid_request", "error_description": format!("AADSTS90002: Tenant '{tenant}' not found.")}),
        );
    }
    let form = req.form();
    let get = |k: &str| form.get(k).map(String::as_str).unwrap_or("");
    match endpoint {
        "oauth2/v2.0/devicecode" => {
            world.next_id += 1;
            let code = format!("device-{}", world.next_id);
            let first = if cfg.device_slow_down { 0 } else { 1 };
            world.device_codes.insert(code.clone(), first);
            resp(
                200,
                json!({
                    "device_code": code,
                    "user_code": "FAKE1234",
                    "verification_uri": "https://microsoft.com/devicelogin",
                    "expires_in": 900,
                    "interval": 0,
                    "message": "To sign in, use a web browser to open the page https://microsoft.com/devicelogin and enter the code FAKE1234 to authenticate."
                }),
            )
        }
        "oauth2/v2.0/token" => {
            let token_answer = |world: &mut World| {
                let (access, refresh) = issue(world);
                resp(
                    200,
                    json!({"token_type": "Bearer", "scope": get("scope"), "expires_in": cfg.token_lifetime, "ext_expires_in": cfg.token_lifetime, "access_token": access, "refresh_token": refresh}),
                )
            };
            match get("grant_type") {
                "client_credentials" => {
                    if get("client_id") != cfg.client_id
                        || get("client_secret") != cfg.client_secret
                    {
                        return resp(
                            401,
                            json!({"error": "invalid_client", "error_description": "AADSTS7000215: Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID."}),
                        );
                    }
                    let mut r = token_answer(&mut world);
                    // Client credentials bring no refresh token.
                    let mut v: Value = serde_json::from_str(&r.body).unwrap();
                    v.as_object_mut().unwrap().remove("refresh_token");
                    r.body = v.to_string();
                    r
                }
                "urn:ietf:params:oauth:grant-type:device_code" => {
                    let code = get("device_code").to_string();
                    let Some(n) = world.device_codes.get(&code).copied() else {
                        return resp(
                            400,
                            json!({"error": "expired_token", "error_description": "AADSTS70019: Verification code expired."}),
                        );
                    };
                    world.device_codes.insert(code.clone(), n + 1);
                    if n == 0 {
                        return resp(
                            400,
                            json!({"error": "slow_down", "error_description": "slow down"}),
                        );
                    }
                    if n <= cfg.device_pending_polls {
                        return resp(
                            400,
                            json!({"error": "authorization_pending", "error_description": "AADSTS70016: OAuth 2.0 device flow error. Authorization is pending. Continue polling."}),
                        );
                    }
                    world.device_codes.remove(&code);
                    token_answer(&mut world)
                }
                "refresh_token" => {
                    if world.refresh_tokens.remove(get("refresh_token")).is_none() {
                        return resp(
                            400,
                            json!({"error": "invalid_grant", "error_description": "AADSTS700082: The refresh token has expired due to inactivity."}),
                        );
                    }
                    token_answer(&mut world)
                }
                other => resp(
                    400,
                    json!({"error": "unsupported_grant_type", "error_description": format!("AADSTS70003: grant type {other} not supported")}),
                ),
            }
        }
        _ => resp(404, json!({"error": "not_found"})),
    }
}

fn imds(req: &Req, c: &Mutex<Config>, w: &Mutex<World>) -> Resp {
    // The metadata service refuses requests without `Metadata: true` (SSRF guard).
    if req.header("metadata") != Some("true") {
        return resp(
            400,
            json!({"error": "invalid_request", "error_description": "Required metadata header not specified"}),
        );
    }
    if req.q("resource").is_none() || req.q("api-version").is_none() {
        return resp(
            400,
            json!({"error": "invalid_request", "error_description": "Required query variable 'resource' is missing"}),
        );
    }
    let lifetime = c.lock().unwrap().token_lifetime;
    let mut world = w.lock().unwrap();
    let (access, _) = issue(&mut world);
    let now = now();
    resp(
        200,
        json!({"access_token": access, "client_id": "mi-client", "expires_in": lifetime.to_string(), "expires_on": (now + lifetime).to_string(), "not_before": now.to_string(), "resource": req.q("resource"), "token_type": "Bearer"}),
    )
}

fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// The api-version each provider serves here.
fn api_version_for(provider: &str) -> &'static str {
    match provider.to_ascii_lowercase().as_str() {
        "microsoft.compute" => COMPUTE_API,
        "microsoft.network" => NETWORK_API,
        "microsoft.storage" => STORAGE_API,
        _ => RESOURCES_API,
    }
}

fn arm(
    req: &Req,
    segs: &[&str],
    version: &str,
    cfg: &mut Config,
    w: &mut World,
    base: &str,
) -> Resp {
    let sub = &cfg.subscription.clone();
    // /subscriptions/{sub}
    if segs.len() == 2 {
        if version != SUBSCRIPTIONS_API && version != "2015-11-01" && version != "2016-06-01" {
            return error(
                400,
                "InvalidApiVersionParameter",
                &format!("The api-version '{version}' is invalid."),
            );
        }
        return resp(
            200,
            json!({"id": format!("/subscriptions/{sub}"), "subscriptionId": sub, "tenantId": cfg.tenant, "state": "Enabled"}),
        );
    }
    // /subscriptions/{sub}/providers/{ns}/register | /providers/{ns}/locations/{l}/operations/{id}
    if segs[2].eq_ignore_ascii_case("providers") {
        if segs.len() == 5 && segs[4] == "register" && req.method == "POST" {
            cfg.unregistered
                .retain(|p| !p.eq_ignore_ascii_case(segs[3]));
            return resp(
                200,
                json!({"namespace": segs[3], "registrationState": "Registering"}),
            );
        }
        if segs.len() == 4 && req.method == "GET" {
            let state = if cfg
                .unregistered
                .iter()
                .any(|p| p.eq_ignore_ascii_case(segs[3]))
            {
                "NotRegistered"
            } else {
                "Registered"
            };
            return resp(
                200,
                json!({"namespace": segs[3], "registrationState": state}),
            );
        }
        if segs.len() == 8 && segs[6] == "operations" {
            return operation_status(
                segs[7],
                req.method == "GET" && req.q("kind") == Some("location"),
                cfg,
                w,
            );
        }
        return error(404, "NotFound", "no such provider route");
    }
    if !segs[2].eq_ignore_ascii_case("resourcegroups") || segs.len() < 4 {
        return error(404, "NotFound", "no such route");
    }
    let group = segs[3];
    if segs.len() == 4 {
        if version != RESOURCES_API {
            return error(400, "InvalidApiVersionParameter", &format!("The api-version '{version}' is invalid. The supported versions are '{RESOURCES_API}'."));
        }
        let key = group.to_lowercase();
        return match req.method.as_str() {
            "GET" | "HEAD" => match w.groups.get(&key) {
                Some(g) => resp(200, g.clone()),
                None => error(
                    404,
                    "ResourceGroupNotFound",
                    &format!("Resource group '{group}' could not be found."),
                ),
            },
            "PUT" => {
                let existed = w.groups.contains_key(&key);
                let location = req.json()["location"].as_str().unwrap_or("").to_string();
                let g = json!({"id": format!("/subscriptions/{sub}/resourceGroups/{group}"), "name": group, "location": location, "properties": {"provisioningState": "Succeeded"}});
                w.groups.insert(key, g.clone());
                resp(if existed { 200 } else { 201 }, g)
            }
            _ => error(405, "MethodNotAllowed", "not in this fake"),
        };
    }
    if !w.groups.contains_key(&group.to_lowercase()) {
        return error(
            404,
            "ResourceGroupNotFound",
            &format!("Resource group '{group}' could not be found."),
        );
    }
    // .../providers/{ns}/{type}/{name}[/{sub}/{subname}][/{action}]
    if segs.len() < 7 || !segs[4].eq_ignore_ascii_case("providers") {
        return error(404, "NotFound", "no such route");
    }
    let provider = segs[5];
    let want = api_version_for(provider);
    if version != want {
        return error(
            400,
            "NoRegisteredProviderFound",
            &format!("No registered resource provider found for location 'westus' and API version '{version}' for type '{}'. The supported api-versions are '{want}'.", segs[6]),
        );
    }
    if segs.len() == 11 && segs[10] == "containers" && req.method == "GET" {
        // The blob containers of a storage account (ARM's management view of them).
        let prefix = format!("/{}/", segs.join("/")).to_lowercase();
        let value: Vec<Value> = w
            .resources
            .iter()
            .filter(|(k, _)| k.starts_with(&prefix))
            .map(|(_, (_, v))| v.clone())
            .collect();
        return resp(200, json!({ "value": value }));
    }
    let (id_len, action) = match segs.len() {
        8 => (8, None),
        9 if segs[6] == "virtualMachines" => (8, Some(segs[8])),
        10 => (10, None),
        12 => (12, None),
        _ => return error(404, "NotFound", "no such route"),
    };
    let id = format!("/{}", segs[..id_len].join("/"));
    let id = id.replacen(
        &format!("/subscriptions/{sub}/resourcegroups/"),
        &format!("/subscriptions/{sub}/resourceGroups/"),
        1,
    );
    let key = id.to_lowercase();
    match (req.method.as_str(), action) {
        ("GET", Some("instanceView")) => match w.resources.get(&key) {
            Some((_, v)) => resp(200, instance_view(v)),
            None => not_found(&id),
        },
        ("GET", None) => match w.resources.get(&key) {
            Some((_, v)) => {
                let mut v = decorate(w, v);
                if req.q("$expand") == Some("instanceView") {
                    v["properties"]["instanceView"] = instance_view(&v);
                }
                v.as_object_mut().unwrap().remove("powerState");
                resp(200, v)
            }
            None => not_found(&id),
        },
        ("GET", Some(_)) => error(404, "NotFound", "no such action"),
        ("PUT", None) => put(req, &id, segs, cfg, w, base),
        ("DELETE", None) => delete(&id, segs, cfg, w, base),
        ("POST", Some(action)) => power(&id, action, cfg, w, base),
        _ => error(405, "MethodNotAllowed", "not in this fake"),
    }
}

fn not_found(id: &str) -> Resp {
    let parts: Vec<&str> = id.split('/').collect();
    let ty = format!(
        "{}/{}",
        parts.get(6).unwrap_or(&""),
        parts.get(7).unwrap_or(&"")
    );
    error(
        404,
        "ResourceNotFound",
        &format!(
            "The Resource '{ty}/{}' under resource group '{}' was not found.",
            parts.last().unwrap_or(&""),
            parts.get(4).unwrap_or(&"")
        ),
    )
}

fn instance_view(vm: &Value) -> Value {
    let power = vm["powerState"].as_str().unwrap_or("running");
    let prov = vm["properties"]["provisioningState"]
        .as_str()
        .unwrap_or("Succeeded")
        .to_lowercase();
    json!({"statuses": [
        {"code": format!("ProvisioningState/{prov}"), "level": "Info", "displayStatus": "Provisioning succeeded"},
        {"code": format!("PowerState/{power}"), "level": "Info", "displayStatus": format!("VM {power}")}
    ]})
}

/// Start a long-running operation on `target`; the answer's headers.
fn start_op(
    w: &mut World,
    cfg: &Config,
    base: &str,
    target: &str,
    effect: Effect,
    with_location: bool,
) -> Vec<(String, String)> {
    w.next_id += 1;
    let op = format!("op-{}", w.next_id);
    // A configured failure strikes once (the next operation on a matching resource).
    let failure = match &cfg.fail_operation {
        Some(f @ (needle, code, msg))
            if target.to_lowercase().contains(&needle.to_lowercase())
                && !w.failures_used.contains(f) =>
        {
            w.failures_used.push(f.clone());
            Some((code.clone(), msg.clone()))
        }
        _ => None,
    };
    w.operations.insert(
        op.clone(),
        Operation {
            polls_left: cfg.polls,
            target: target.to_string(),
            effect,
            failure,
        },
    );
    let provider = target.split('/').nth(6).unwrap_or("Microsoft.Compute");
    let status = format!(
        "{base}/subscriptions/{}/providers/{provider}/locations/westus/operations/{op}?api-version={}",
        cfg.subscription,
        api_version_for(provider)
    );
    let mut h = vec![
        ("Azure-AsyncOperation".to_string(), status.clone()),
        ("Retry-After".to_string(), cfg.retry_after.to_string()),
    ];
    if with_location {
        h.push(("Location".to_string(), format!("{status}&kind=location")));
    }
    h
}

fn operation_status(op: &str, location: bool, cfg: &Config, w: &mut World) -> Resp {
    let Some(o) = w.operations.get_mut(op) else {
        return error(404, "NotFound", "no such operation");
    };
    let retry = vec![("Retry-After".to_string(), cfg.retry_after.to_string())];
    if o.polls_left > 0 {
        o.polls_left -= 1;
        let mut r = if location {
            resp(202, Value::Null)
        } else {
            resp(200, json!({"status": "InProgress"}))
        };
        r.headers = retry;
        return r;
    }
    let o = w.operations.remove(op).unwrap();
    let key = o.target.to_lowercase();
    if let Some((code, message)) = &o.failure {
        if let Some((_, v)) = w.resources.get_mut(&key) {
            v["properties"]["provisioningState"] = json!("Failed");
        }
        // Stays answerable: a second read gives the same failure.
        w.operations.insert(
            op.to_string(),
            Operation {
                polls_left: 0,
                target: o.target.clone(),
                effect: Effect::Provisioned,
                failure: o.failure.clone(),
            },
        );
        return resp(
            200,
            json!({"status": "Failed", "error": {"code": code, "message": message}}),
        );
    }
    match o.effect {
        Effect::Provisioned => {
            if let Some((_, v)) = w.resources.get_mut(&key) {
                v["properties"]["provisioningState"] = json!("Succeeded");
            }
        }
        Effect::Deleted => remove_resource(w, &key),
        Effect::Power(state) => {
            if let Some((_, v)) = w.resources.get_mut(&key) {
                v["powerState"] = json!(state);
                v["properties"]["provisioningState"] = json!("Succeeded");
            }
            refresh_dynamic_ips(w);
        }
    }
    if location {
        resp(200, json!({}))
    } else {
        resp(200, json!({"status": "Succeeded"}))
    }
}

fn remove_resource(w: &mut World, key: &str) {
    let removed = w.resources.remove(key);
    // A vnet takes its subnets; a VM its OS disk when asked (deleteOption Delete).
    let prefix = format!("{key}/");
    w.resources.retain(|k, _| !k.starts_with(&prefix));
    if let Some((_, vm)) = removed {
        let disk = &vm["properties"]["storageProfile"]["osDisk"];
        if disk["deleteOption"] == "Delete" {
            if let Some(id) = disk["managedDisk"]["id"].as_str() {
                w.resources.remove(&id.to_lowercase());
            }
        }
    }
    refresh_dynamic_ips(w);
}

/// Dynamic public IPs: an address while the VM using them runs, none otherwise.
fn refresh_dynamic_ips(w: &mut World) {
    let mut running_ips = Vec::new();
    for (_, (_, nic)) in w
        .resources
        .iter()
        .filter(|(k, _)| k.contains("/microsoft.network/networkinterfaces/"))
    {
        let vm = vm_of_nic(w, &nic["id"]);
        let running = vm.is_some_and(|v| {
            matches!(
                v["powerState"].as_str(),
                Some("running" | "starting" | "stopping" | "stopped")
            )
        });
        for cfg in nic["properties"]["ipConfigurations"]
            .as_array()
            .into_iter()
            .flatten()
        {
            if let Some(ip) = cfg["properties"]["publicIPAddress"]["id"].as_str() {
                running_ips.push((ip.to_lowercase(), running));
            }
        }
    }
    let mut n = 0;
    for (key, (_, ip)) in w
        .resources
        .iter_mut()
        .filter(|(k, _)| k.contains("/microsoft.network/publicipaddresses/"))
    {
        n += 1;
        if ip["properties"]["publicIPAllocationMethod"] != "Dynamic" {
            continue;
        }
        let running = running_ips.iter().any(|(k, r)| k == key && *r);
        if running && ip["properties"]["ipAddress"].is_null() {
            ip["properties"]["ipAddress"] = json!(format!("127.100.1.{n}"));
        } else if !running {
            ip["properties"]
                .as_object_mut()
                .unwrap()
                .remove("ipAddress");
        }
    }
}

fn vm_of_nic<'a>(w: &'a World, nic_id: &Value) -> Option<&'a Value> {
    let nic_id = nic_id.as_str()?.to_lowercase();
    w.resources
        .iter()
        .filter(|(k, _)| k.contains("/microsoft.compute/virtualmachines/"))
        .map(|(_, (_, v))| v)
        .find(|vm| {
            vm["properties"]["networkProfile"]["networkInterfaces"]
                .as_array()
                .into_iter()
                .flatten()
                .any(|n| n["id"].as_str().map(str::to_lowercase) == Some(nic_id.clone()))
        })
}

/// Who refers to `id`: (referrer id, how).
fn referrers(w: &World, id: &str) -> Vec<String> {
    let id = id.to_lowercase();
    let mut out = Vec::new();
    for (rid, v) in w.resources.values() {
        let text = v.to_string().to_lowercase();
        if rid.to_lowercase() != id && text.contains(&format!("\"{id}\"")) {
            out.push(rid.clone());
        }
    }
    out.sort();
    out.dedup();
    out
}

/// A resource with the back-references ARM computes.
fn decorate(w: &World, v: &Value) -> Value {
    let mut v = v.clone();
    let id = v["id"].as_str().unwrap_or("").to_string();
    let lower = id.to_lowercase();
    let refs = referrers(w, &id);
    let of = |kind: &str| {
        refs.iter()
            .filter(|r| r.to_lowercase().contains(kind))
            .cloned()
            .collect::<Vec<_>>()
    };
    if lower.contains("/virtualnetworks/") && lower.contains("/subnets/") {
        let confs: Vec<Value> = of("/networkinterfaces/")
            .iter()
            .map(|n| json!({"id": format!("{n}/ipConfigurations/ip")}))
            .collect();
        if !confs.is_empty() {
            v["properties"]["ipConfigurations"] = json!(confs);
        }
    } else if lower.contains("/virtualnetworks/") {
        let subnets: Vec<Value> = w
            .resources
            .iter()
            .filter(|(k, _)| k.starts_with(&format!("{lower}/subnets/")))
            .map(|(_, (_, s))| decorate(w, s))
            .collect();
        v["properties"]["subnets"] = json!(subnets);
    } else if lower.contains("/networkinterfaces/") {
        if let Some(vm) = of("/virtualmachines/").first() {
            v["properties"]["virtualMachine"] = json!({"id": vm});
        }
    } else if lower.contains("/publicipaddresses/") {
        if let Some(nic) = of("/networkinterfaces/").first() {
            v["properties"]["ipConfiguration"] =
                json!({"id": format!("{nic}/ipConfigurations/ip")});
        }
    } else if lower.contains("/networksecuritygroups/") {
        let nics: Vec<Value> = of("/networkinterfaces/")
            .iter()
            .map(|n| json!({"id": n}))
            .collect();
        if !nics.is_empty() {
            v["properties"]["networkInterfaces"] = json!(nics);
        }
    } else if lower.contains("/availabilitysets/") {
        let vms: Vec<Value> = of("/virtualmachines/")
            .iter()
            .map(|n| json!({"id": n}))
            .collect();
        v["properties"]["virtualMachines"] = json!(vms);
    }
    v
}

fn put(req: &Req, id: &str, segs: &[&str], cfg: &Config, w: &mut World, base: &str) -> Resp {
    let key = id.to_lowercase();
    let mut body = req.json();
    if !body.is_object() {
        return error(
            400,
            "InvalidRequestContent",
            "The request content was invalid and could not be deserialized.",
        );
    }
    let ty = format!("{}/{}", segs[5], segs[6]).to_lowercase();
    let existed = w.resources.contains_key(&key);
    body["id"] = json!(id);
    body["name"] = json!(id.rsplit('/').next().unwrap());
    if body["properties"].is_null() {
        body["properties"] = json!({});
    }
    let mut effect_state = None;
    match ty.as_str() {
        "microsoft.network/virtualnetworks" if segs.len() == 10 => {
            // A subnet: its vnet must exist.
            let parent = format!("/{}", segs[..8].join("/")).to_lowercase();
            if !w.resources.contains_key(&parent) {
                return error(404, "ResourceNotFound", &format!("The Resource 'Microsoft.Network/virtualNetworks/{}' under resource group '{}' was not found.", segs[7], segs[3]));
            }
        }
        "microsoft.network/publicipaddresses" => {
            let standard = body["sku"]["name"] == "Standard";
            let method = body["properties"]["publicIPAllocationMethod"]
                .as_str()
                .unwrap_or("Dynamic")
                .to_string();
            if standard && method != "Static" {
                return error(
                    400,
                    "StandardSkuPublicIPAddressesMustBeStatic",
                    &format!(
                        "Standard sku publicIp {id} must have AllocationMethod set to Static."
                    ),
                );
            }
            body["properties"]["publicIPAllocationMethod"] = json!(method);
            if method == "Static" && !existed {
                w.next_id += 1;
                body["properties"]["ipAddress"] =
                    json!(format!("127.100.0.{}", w.next_id % 250 + 1));
            }
            if let Some(label) = body["properties"]["dnsSettings"]["domainNameLabel"].as_str() {
                let loc = body["location"].as_str().unwrap_or("westus");
                body["properties"]["dnsSettings"]["fqdn"] =
                    json!(format!("{label}.{loc}.cloudapp.azure.com"));
            }
        }
        "microsoft.network/networkinterfaces" => {
            for conf in body["properties"]["ipConfigurations"]
                .as_array_mut()
                .into_iter()
                .flatten()
            {
                let subnet = conf["properties"]["subnet"]["id"]
                    .as_str()
                    .unwrap_or("")
                    .to_lowercase();
                let Some((_, s)) = w.resources.get(&subnet) else {
                    return error(
                        400,
                        "InvalidResourceReference",
                        &format!("Resource {subnet} referenced by resource {id} was not found."),
                    );
                };
                if conf["properties"]["privateIPAddress"].is_null() {
                    let prefix = s["properties"]["addressPrefix"]
                        .as_str()
                        .unwrap_or("10.0.0.0/24");
                    let stem: Vec<&str> = prefix
                        .split('/')
                        .next()
                        .unwrap_or("10.0.0.0")
                        .split('.')
                        .collect();
                    w.next_id += 1;
                    conf["properties"]["privateIPAddress"] = json!(format!(
                        "{}.{}.{}.{}",
                        stem[0],
                        stem[1],
                        stem[2],
                        w.next_id % 250 + 4
                    ));
                    conf["properties"]["privateIPAllocationMethod"] = json!("Dynamic");
                }
                if let Some(ip) = conf["properties"]["publicIPAddress"]["id"].as_str() {
                    if !w.resources.contains_key(&ip.to_lowercase()) {
                        return error(
                            400,
                            "InvalidResourceReference",
                            &format!("Resource {ip} referenced by resource {id} was not found."),
                        );
                    }
                }
            }
        }
        "microsoft.compute/virtualmachines" => {
            let p = body["properties"].clone();
            let image = &p["storageProfile"]["imageReference"];
            let urn = format!(
                "{}:{}:{}",
                image["publisher"].as_str().unwrap_or(""),
                image["offer"].as_str().unwrap_or(""),
                image["sku"].as_str().unwrap_or("")
            );
            if !cfg.images.iter().any(|i| i.eq_ignore_ascii_case(&urn)) {
                return error(404, "PlatformImageNotFound", &format!("The platform image '{urn}:{}' is not available. Verify that all fields in the storage profile are correct.", image["version"].as_str().unwrap_or("")));
            }
            let size = p["hardwareProfile"]["vmSize"].as_str().unwrap_or("");
            let Some(cores) = cfg.sizes.iter().find(|(s, _)| s == size).map(|(_, c)| *c) else {
                let mut r = error(
                    409,
                    "SkuNotAvailable",
                    &format!(
                        "The requested VM size {size} is not available in the current region."
                    ),
                );
                if !existed {
                    // Assumption: reported by the operation rather than the PUT.
                    w.resources
                        .insert(key.clone(), (id.to_string(), body.clone()));
                    body["properties"]["provisioningState"] = json!("Creating");
                    w.resources.get_mut(&key).unwrap().1 = body.clone();
                    let message = format!(
                        "The requested VM size {size} is not available in the current region."
                    );
                    r = resp(201, body);
                    r.headers = start_op(w, cfg, base, id, Effect::Provisioned, false);
                    for o in w.operations.values_mut().filter(|o| o.target == id) {
                        o.failure = Some(("SkuNotAvailable".into(), message.clone()));
                    }
                }
                return r;
            };
            let used: u32 = w
                .resources
                .iter()
                .filter(|(k, _)| k.contains("/microsoft.compute/virtualmachines/") && **k != key)
                .map(|(_, (_, v))| {
                    cfg.sizes
                        .iter()
                        .find(|(s, _)| v["properties"]["hardwareProfile"]["vmSize"] == s.as_str())
                        .map_or(0, |(_, c)| *c)
                })
                .sum();
            if used + cores > cfg.core_quota {
                return error(409, "OperationNotAllowed", &format!("Operation could not be completed as it results in exceeding approved standardDSv2Family Cores quota. Location: westus, Current Limit: {}, Current Usage: {used}, Additional Required: {cores}.", cfg.core_quota));
            }
            for nic in p["networkProfile"]["networkInterfaces"]
                .as_array()
                .into_iter()
                .flatten()
            {
                let nid = nic["id"].as_str().unwrap_or("").to_lowercase();
                if !w.resources.contains_key(&nid) {
                    return error(
                        400,
                        "InvalidResourceReference",
                        &format!("Resource {nid} referenced by resource {id} was not found."),
                    );
                }
            }
            if let Some(set) = p["availabilitySet"]["id"].as_str() {
                if !w.resources.contains_key(&set.to_lowercase()) {
                    return error(
                        404,
                        "NotFound",
                        &format!("Availability set {set} was not found."),
                    );
                }
            }
            // The managed OS disk, created with the VM.
            let disk_name = p["storageProfile"]["osDisk"]["name"]
                .as_str()
                .unwrap_or("osdisk")
                .to_string();
            let disk_id = format!(
                "/subscriptions/{}/resourceGroups/{}/providers/Microsoft.Compute/disks/{disk_name}",
                cfg.subscription, segs[3]
            );
            body["properties"]["storageProfile"]["osDisk"]["managedDisk"]["id"] = json!(disk_id);
            w.resources.insert(disk_id.to_lowercase(), (disk_id.clone(), json!({"id": disk_id, "name": disk_name, "properties": {"provisioningState": "Succeeded"}})));
            effect_state = Some("running");
            body["powerState"] = json!("starting");
        }
        _ => {}
    }
    // Availability sets are synchronous; the rest are long-running.
    let long = !ty.ends_with("/availabilitysets");
    if long {
        body["properties"]["provisioningState"] =
            json!(if existed { "Updating" } else { "Creating" });
    } else {
        body["properties"]["provisioningState"] = json!("Succeeded");
    }
    if let Some((_, old)) = w.resources.get(&key) {
        if let Some(ps) = old.get("powerState") {
            body["powerState"] = ps.clone();
            effect_state = None;
        }
    }
    w.resources.insert(key, (id.to_string(), body.clone()));
    let mut out = decorate(w, &body);
    if let Some(o) = out.as_object_mut() {
        o.remove("powerState");
    }
    let mut r = resp(if existed { 200 } else { 201 }, out);
    if long {
        // A new VM becomes provisioned and running together.
        let effect = match effect_state {
            Some(s) => Effect::Power(s),
            None => Effect::Provisioned,
        };
        r.headers = start_op(w, cfg, base, id, effect, false);
    }
    r
}

fn delete(id: &str, segs: &[&str], cfg: &Config, w: &mut World, base: &str) -> Resp {
    let key = id.to_lowercase();
    let Some((_, body)) = w.resources.get(&key) else {
        return resp(204, Value::Null);
    };
    let d = decorate(w, body);
    let ty = format!("{}/{}", segs[5], segs[6]).to_lowercase();
    let name = id.rsplit('/').next().unwrap_or("");
    let refused = match ty.as_str() {
        "microsoft.network/virtualnetworks" if segs.len() == 10 => d["properties"]["ipConfigurations"].as_array().is_some_and(|a| !a.is_empty()).then(|| {
            error(400, "InUseSubnetCannotBeDeleted", &format!("Subnet {name} is in use by {} and cannot be deleted. In order to delete the subnet, delete all the resources within the subnet.", d["properties"]["ipConfigurations"][0]["id"].as_str().unwrap_or("")))
        }),
        "microsoft.network/virtualnetworks" => d["properties"]["subnets"].as_array().into_iter().flatten().find(|s| s["properties"]["ipConfigurations"].as_array().is_some_and(|a| !a.is_empty())).map(|s| {
            error(400, "InUseSubnetCannotBeDeleted", &format!("Subnet {} is in use by {} and cannot be deleted.", s["name"].as_str().unwrap_or(""), s["properties"]["ipConfigurations"][0]["id"].as_str().unwrap_or("")))
        }),
        "microsoft.network/networkinterfaces" => d["properties"]["virtualMachine"]["id"].as_str().map(|vm| error(400, "NicInUse", &format!("Network Interface {id} is used by existing resource {vm}. In order to delete the network interface, it must be dissociated from the resource."))),
        "microsoft.network/publicipaddresses" => d["properties"]["ipConfiguration"]["id"].as_str().map(|c| error(400, "PublicIPAddressCannotBeDeleted", &format!("Public IP address {id} can not be deleted since it is still allocated to resource {c}."))),
        "microsoft.network/networksecuritygroups" => d["properties"]["networkInterfaces"].as_array().and_then(|a| a.first()).map(|n| error(400, "InUseNetworkSecurityGroupCannotBeDeleted", &format!("Network security group {id} cannot be deleted because it is in use by the following resources: {}.", n["id"].as_str().unwrap_or("")))),
        "microsoft.compute/availabilitysets" => d["properties"]["virtualMachines"].as_array().is_some_and(|a| !a.is_empty()).then(|| error(409, "OperationNotAllowed", &format!("Availability Set {name} cannot be deleted. Before deleting an Availability Set please ensure that it does not contain any VM."))),
        "microsoft.storage/storageaccounts" if segs.len() == 12 => None,
        _ => None,
    };
    if let Some(r) = refused {
        return r;
    }
    if ty == "microsoft.compute/availabilitysets" || ty == "microsoft.storage/storageaccounts" {
        remove_resource(w, &key);
        return resp(200, Value::Null);
    }
    let mut r = resp(202, Value::Null);
    r.headers = start_op(w, cfg, base, id, Effect::Deleted, true);
    if let Some((_, v)) = w.resources.get_mut(&key) {
        v["properties"]["provisioningState"] = json!("Deleting");
    }
    r
}

fn power(id: &str, action: &str, cfg: &Config, w: &mut World, base: &str) -> Resp {
    let key = id.to_lowercase();
    let Some((_, vm)) = w.resources.get_mut(&key) else {
        return not_found(id);
    };
    let (during, after) = match action {
        "start" => ("starting", "running"),
        "powerOff" => ("stopping", "stopped"),
        "restart" => ("starting", "running"),
        "deallocate" => ("deallocating", "deallocated"),
        _ => return error(404, "NotFound", &format!("no action {action}")),
    };
    if action == "restart" && vm["powerState"] != "running" {
        return error(
            409,
            "OperationNotAllowed",
            "Cannot restart the VM as it is not running.",
        );
    }
    vm["powerState"] = json!(during);
    let mut r = resp(202, Value::Null);
    r.headers = start_op(w, cfg, base, id, Effect::Power(after), true);
    r
}
