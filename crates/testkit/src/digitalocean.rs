//! A stand-in for DigitalOcean's API v2 on loopback: no emulator of it exists. Written
//! from the published reference (docs.digitalocean.com/reference/api/api-reference):
//!
//! From the reference: bearer-token auth and the `401 {"id":"unauthorized"}` refusal;
//! error bodies `{"id", "message"}`; `429 too_many_requests` with `RateLimit-Limit`,
//! `RateLimit-Remaining` and `RateLimit-Reset` (a Unix time); regions listed by page
//! (`page`, `per_page` up to 200, `links.pages.next`); account keys created, read by id
//! or fingerprint, deleted (204); droplets created with 202 and status `new` and no
//! networks, later `active` with public and private IPv4 (and IPv6 when asked), deleted
//! with 204, then 404 `not_found`; droplet actions (`power_on`, `shutdown`, `power_off`,
//! `reboot`) answered 201 `in-progress`, then `completed` at `/v2/actions/{id}`.
//!
//! Assumptions (not in the reference, or shortened for speed): a droplet turns `active`
//! on the second read after its creation and an action completes on its second read,
//! with its effect on the droplet's status applied then; the exact messages of 422
//! refusals (invalid image, invalid region, droplet limit, already powered on/off);
//! key fingerprints are stand-ins (`fp-ID`), not MD5s of the key; addresses are given
//! from 127.0.0.0/8 (nothing listens there) so nothing leaves the machine.

use crate::fakeapi::{serve, Req, Resp};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

#[derive(Debug, Default)]
struct World {
    token: String,
    regions: Vec<String>,
    images: Vec<String>,
    droplet_limit: usize,
    next_id: i64,
    keys: BTreeMap<i64, Value>,
    droplets: BTreeMap<i64, Droplet>,
    actions: BTreeMap<i64, Action>,
    /// Requests still to refuse with 429.
    throttle: u32,
    requests: u64,
    throttled: u64,
}

#[derive(Debug, Clone)]
struct Droplet {
    json: Value,
    reads: u32,
}

#[derive(Debug, Clone)]
struct Action {
    droplet: i64,
    kind: String,
    reads: u32,
    status: &'static str,
}

/// The fake API; cloned handles share one world.
#[derive(Clone)]
pub struct FakeDigitalOcean {
    pub url: String,
    world: Arc<Mutex<World>>,
}

fn error(status: u16, id: &str, message: &str) -> Resp {
    Resp::json(status, json!({"id": id, "message": message}))
}

fn not_found() -> Resp {
    error(
        404,
        "not_found",
        "The resource you were accessing could not be found.",
    )
}

impl FakeDigitalOcean {
    /// A fake that accepts `token`, with regions nyc1..3, sfo3, ams3, lon1 and fra1
    /// (listed over pages) and today's Ubuntu and Debian images.
    pub fn start(token: &str) -> FakeDigitalOcean {
        let world = Arc::new(Mutex::new(World {
            token: token.to_string(),
            regions: ["nyc1", "sfo3", "ams3", "lon1", "fra1", "nyc2", "nyc3"]
                .map(String::from)
                .to_vec(),
            images: ["ubuntu-24-04-x64", "ubuntu-22-04-x64", "debian-12-x64"]
                .map(String::from)
                .to_vec(),
            droplet_limit: 25,
            next_id: 1000,
            ..World::default()
        }));
        let w = world.clone();
        let port = serve(Arc::new(move |req: &Req| {
            let mut world = w.lock().unwrap();
            world.handle(req)
        }));
        FakeDigitalOcean {
            url: format!("http://127.0.0.1:{port}"),
            world,
        }
    }

    /// Refuse the next `n` requests with 429 (the limit resets one second later).
    pub fn throttle(&self, n: u32) {
        self.world.lock().unwrap().throttle = n;
    }

    pub fn set_droplet_limit(&self, n: usize) {
        self.world.lock().unwrap().droplet_limit = n;
    }

    /// (requests answered, of which refused with 429).
    pub fn requests(&self) -> (u64, u64) {
        let w = self.world.lock().unwrap();
        (w.requests, w.throttled)
    }

    /// The droplets, as the API shows them.
    pub fn droplets(&self) -> Vec<Value> {
        let w = self.world.lock().unwrap();
        w.droplets.values().map(|d| d.json.clone()).collect()
    }

    /// The account's keys.
    pub fn keys(&self) -> Vec<Value> {
        self.world.lock().unwrap().keys.values().cloned().collect()
    }

    /// Add an account key (as a user would); its fingerprint.
    pub fn add_key(&self, name: &str, public_key: &str) -> String {
        let mut w = self.world.lock().unwrap();
        let id = w.new_id();
        let fp = format!("fp-{id}");
        w.keys.insert(
            id,
            json!({"id": id, "name": name, "public_key": public_key, "fingerprint": fp}),
        );
        fp
    }

    /// Destroy a droplet behind the driver's back.
    pub fn destroy_droplet(&self, id: i64) {
        self.world.lock().unwrap().droplets.remove(&id);
    }
}

impl World {
    fn new_id(&mut self) -> i64 {
        self.next_id += 1;
        self.next_id
    }

    fn handle(&mut self, req: &Req) -> Resp {
        self.requests += 1;
        if req.header("authorization") != Some(&format!("Bearer {}", self.token)) {
            return error(401, "unauthorized", "Unable to authenticate you");
        }
        if self.throttle > 0 {
            self.throttle -= 1;
            self.throttled += 1;
            let reset = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .unwrap()
                .as_secs()
                + 1;
            return error(429, "too_many_requests", "API Rate limit exceeded.")
                .with_header("RateLimit-Limit", "5000")
                .with_header("RateLimit-Remaining", "0")
                .with_header("RateLimit-Reset", &reset.to_string());
        }
        let parts: Vec<&str> = req.route().trim_matches('/').split('/').collect();
        match (req.method.as_str(), parts.as_slice()) {
            ("GET", ["v2", "regions"]) => self.regions(req),
            ("GET", ["v2", "account", "keys", k]) => self
                .keys
                .values()
                .find(|v| v["id"].as_i64() == k.parse().ok() || v["fingerprint"] == *k)
                .map(|k| Resp::json(200, json!({"ssh_key": k})))
                .unwrap_or_else(not_found),
            ("POST", ["v2", "account", "keys"]) => self.create_key(req.json()),
            ("DELETE", ["v2", "account", "keys", k]) => {
                let id = k.parse().unwrap_or(-1);
                match self.keys.remove(&id) {
                    Some(_) => Resp::json(204, Value::Null),
                    None => not_found(),
                }
            }
            ("POST", ["v2", "droplets"]) => self.create_droplet(req.json()),
            ("GET", ["v2", "droplets", d]) => {
                let id = d.parse().unwrap_or(-1);
                match self.droplets.get_mut(&id) {
                    Some(d) => {
                        d.reads += 1;
                        if d.reads == 2 && d.json["status"] == "new" {
                            boot(&mut d.json, id);
                        }
                        Resp::json(200, json!({"droplet": d.json}))
                    }
                    None => not_found(),
                }
            }
            ("DELETE", ["v2", "droplets", d]) => {
                let id = d.parse().unwrap_or(-1);
                match self.droplets.remove(&id) {
                    Some(_) => Resp::json(204, Value::Null),
                    None => not_found(),
                }
            }
            ("POST", ["v2", "droplets", d, "actions"]) => {
                self.droplet_action(d.parse().unwrap_or(-1), req.json())
            }
            ("GET", ["v2", "actions", a]) => self.read_action(a.parse().unwrap_or(-1)),
            _ => not_found(),
        }
    }

    fn regions(&self, req: &Req) -> Resp {
        let page: usize = req.query("page").and_then(|p| p.parse().ok()).unwrap_or(1);
        let per_page: usize = req
            .query("per_page")
            .and_then(|p| p.parse().ok())
            .unwrap_or(20)
            .clamp(1, 200);
        let all: Vec<Value> = self
            .regions
            .iter()
            .map(|r| json!({"slug": r, "name": r, "available": true, "features": ["ipv6", "private_networking", "backups", "metadata"]}))
            .collect();
        let start = (page - 1).min(all.len() / per_page + 1) * per_page;
        let items: Vec<Value> = all.iter().skip(start).take(per_page).cloned().collect();
        let mut links = json!({});
        if start + per_page < all.len() {
            links = json!({"pages": {"next": format!("/v2/regions?page={}&per_page={per_page}", page + 1)}});
        }
        Resp::json(
            200,
            json!({"regions": items, "links": links, "meta": {"total": all.len()}}),
        )
    }

    fn create_key(&mut self, body: Value) -> Resp {
        let (Some(name), Some(public_key)) = (body["name"].as_str(), body["public_key"].as_str())
        else {
            return error(
                422,
                "unprocessable_entity",
                "Name and public key are required",
            );
        };
        if self.keys.values().any(|k| k["public_key"] == public_key) {
            return error(
                422,
                "unprocessable_entity",
                "SSH Key is already in use on your account",
            );
        }
        let id = self.new_id();
        let key = json!({"id": id, "name": name, "public_key": public_key, "fingerprint": format!("fp-{id}")});
        self.keys.insert(id, key.clone());
        Resp::json(201, json!({"ssh_key": key}))
    }

    fn create_droplet(&mut self, body: Value) -> Resp {
        let invalid = |what: &str| {
            error(
                422,
                "unprocessable_entity",
                &format!("You specified an invalid {what} for Droplet creation."),
            )
        };
        let region = body["region"].as_str().unwrap_or("");
        if !self.regions.iter().any(|r| r == region) {
            return invalid("region");
        }
        let image = body["image"].as_str().unwrap_or("");
        if !self.images.iter().any(|i| i == image) {
            return invalid("image");
        }
        let keys_ok = body["ssh_keys"]
            .as_array()
            .map(|ks| {
                ks.iter().all(|k| {
                    self.keys
                        .values()
                        .any(|v| v["id"] == *k || v["fingerprint"] == *k)
                })
            })
            .unwrap_or(true);
        if !keys_ok {
            return invalid("SSH key");
        }
        if self.droplets.len() >= self.droplet_limit {
            return error(
                422,
                "unprocessable_entity",
                "creating this/these droplet(s) will exceed your droplet limit",
            );
        }
        let id = self.new_id();
        let droplet = json!({
            "id": id,
            "name": body["name"],
            "status": "new",
            "locked": false,
            "image": {"slug": image},
            "size_slug": body["size"],
            "region": {"slug": region},
            "networks": {"v4": [], "v6": []},
            "tags": body["tags"],
            "features": features(&body),
            "user_data": body["user_data"],
            "ssh_keys": body["ssh_keys"],
        });
        self.droplets.insert(
            id,
            Droplet {
                json: droplet.clone(),
                reads: 0,
            },
        );
        let action = self.new_action(id, "create", "in-progress");
        Resp::json(
            202,
            json!({"droplet": droplet, "links": {"actions": [{"id": action, "rel": "create"}]}}),
        )
    }

    fn new_action(&mut self, droplet: i64, kind: &str, status: &'static str) -> i64 {
        let id = self.new_id();
        self.actions.insert(
            id,
            Action {
                droplet,
                kind: kind.to_string(),
                reads: 0,
                status,
            },
        );
        id
    }

    fn droplet_action(&mut self, id: i64, body: Value) -> Resp {
        let Some(d) = self.droplets.get(&id) else {
            return not_found();
        };
        let kind = body["type"].as_str().unwrap_or("").to_string();
        let status = d.json["status"].as_str().unwrap_or("").to_string();
        let refuse = |m: &str| error(422, "unprocessable_entity", m);
        match (kind.as_str(), status.as_str()) {
            (_, "new") => return refuse("Droplet is not yet ready."),
            ("power_on", "active") => return refuse("Droplet is already powered on."),
            ("shutdown" | "power_off", "off") => return refuse("Droplet is already powered off."),
            ("power_on" | "shutdown" | "power_off" | "reboot", _) => {}
            _ => return refuse("Action type is not valid."),
        }
        let a = self.new_action(id, &kind, "in-progress");
        Resp::json(
            201,
            json!({"action": {"id": a, "status": "in-progress", "type": kind, "resource_id": id, "resource_type": "droplet"}}),
        )
    }

    fn read_action(&mut self, id: i64) -> Resp {
        let Some(a) = self.actions.get_mut(&id) else {
            return not_found();
        };
        a.reads += 1;
        if a.reads >= 2 && a.status == "in-progress" {
            a.status = "completed";
            let next = match a.kind.as_str() {
                "power_on" | "reboot" => Some("active"),
                "shutdown" | "power_off" => Some("off"),
                _ => None,
            };
            if let (Some(next), Some(d)) = (next, self.droplets.get_mut(&a.droplet)) {
                d.json["status"] = next.into();
            }
        }
        let a = &self.actions[&id];
        Resp::json(
            200,
            json!({"action": {"id": id, "status": a.status, "type": a.kind, "resource_id": a.droplet, "resource_type": "droplet"}}),
        )
    }
}

fn features(body: &Value) -> Value {
    let mut f = Vec::new();
    for (flag, name) in [
        ("ipv6", "ipv6"),
        ("private_networking", "private_networking"),
        ("backups", "backups"),
        ("monitoring", "monitoring"),
    ] {
        if body[flag] == true {
            f.push(name);
        }
    }
    json!(f)
}

/// A new droplet boots: `active`, with its addresses.
fn boot(d: &mut Value, id: i64) {
    let n = id % 250 + 2;
    d["status"] = "active".into();
    let mut v4 = vec![
        json!({"ip_address": format!("127.0.1.{n}"), "netmask": "255.255.240.0", "gateway": "127.0.1.1", "type": "public"}),
    ];
    if d["features"]
        .as_array()
        .is_some_and(|f| f.iter().any(|x| x == "private_networking"))
    {
        v4.insert(0, json!({"ip_address": format!("127.0.2.{n}"), "netmask": "255.255.0.0", "gateway": "", "type": "private"}));
    }
    d["networks"]["v4"] = json!(v4);
    if d["features"]
        .as_array()
        .is_some_and(|f| f.iter().any(|x| x == "ipv6"))
    {
        d["networks"]["v6"] = json!([{"ip_address": format!("::1"), "netmask": 64, "gateway": "::1", "type": "public"}]);
    }
}
