//! The amazonec2 driver's security groups: found by name in the VPC, created when
//! missing (a parallel create that made it first wins, its group is reused), the ports
//! docker-machine needs opened unless read-only, and deleted again by `rm` when this
//! machine created them and nothing else uses them.

use super::api::{self, filters, list, Params};
use super::{Ec2Driver, Made, DOCKER_PORT, INSTANCE_NOT_FOUND, IP_RANGE};
use crate::cloud::wait::Waiter;
use crate::cloud::ApiError;
use anyhow::{anyhow, Context, Result};
use std::time::Duration;

impl Ec2Driver {
    pub(super) fn configure_security_groups(&mut self, made: &mut Made) -> Result<()> {
        let names = self.group_names();
        if names.is_empty() {
            return Ok(());
        }
        let mut ids = Vec::new();
        for name in &names {
            let group = match self.find_group(name)? {
                Some(g) => g,
                None => match self.create_group(name) {
                    Ok(id) => {
                        made.groups.push(id.clone());
                        self.own.created_security_group_ids.push(id.clone());
                        Group {
                            id,
                            ports: Vec::new(),
                        }
                    }
                    // Another create made it meanwhile (GitLab Runner starts many at once).
                    Err(e) if ApiError::has_code(&e, "InvalidGroup.Duplicate") => {
                        self.find_group(name)?.ok_or_else(|| {
                            anyhow!("security group {name} exists but cannot be found")
                        })?
                    }
                    Err(e) => return Err(e),
                },
            };
            ids.push(group.id.clone());
            if !self.own.security_group_read_only {
                self.authorize(&group)?;
            }
        }
        self.own.security_group_ids = Some(ids);
        Ok(())
    }

    fn find_group(&self, name: &str) -> Result<Option<Group>> {
        let xml = self.call(
            "DescribeSecurityGroups",
            filters(&[
                ("group-name", vec![name.to_string()]),
                ("vpc-id", vec![self.own.vpc_id.clone()]),
            ]),
        )?;
        let doc = api::parse(&xml)?;
        Ok(api::items(doc.root_element(), "securityGroupInfo")
            .into_iter()
            .find(|g| api::child_text(*g, "groupName").as_deref() == Some(name))
            .map(|g| Group {
                id: api::child_text(g, "groupId").unwrap_or_default(),
                ports: api::items(g, "ipPermissions")
                    .into_iter()
                    .filter_map(|p| {
                        Some(format!(
                            "{}/{}",
                            api::child_text(p, "fromPort")?,
                            api::child_text(p, "ipProtocol")?
                        ))
                    })
                    .collect(),
            }))
    }

    fn create_group(&self, name: &str) -> Result<String> {
        crate::debug!("creating security group ({name}) in {}", self.own.vpc_id);
        let xml = self.call(
            "CreateSecurityGroup",
            vec![
                ("GroupName".into(), name.to_string()),
                ("GroupDescription".into(), "Docker Machine".into()),
                ("VpcId".into(), self.own.vpc_id.clone()),
            ],
        )?;
        let doc = api::parse(&xml)?;
        let id = api::child_text(doc.root_element(), "groupId")
            .context("CreateSecurityGroup returned no group id")?;
        // Eventual consistency: wait until the new group can be described.
        Waiter::new(Duration::from_secs(120), Duration::from_secs(1)).until(
            &format!("security group {id}"),
            || {
                let found = self
                    .call("DescribeSecurityGroups", list("GroupId", &[&id]))
                    .ok()
                    .and_then(|x| {
                        api::parse(&x)
                            .ok()
                            .map(|d| !api::items(d.root_element(), "securityGroupInfo").is_empty())
                    });
                Ok(found.unwrap_or(false).then_some(()))
            },
        )?;
        Ok(id)
    }

    /// Open SSH, Docker, the swarm port on a master and `--amazonec2-open-port`, where
    /// the group does not have them yet.
    fn authorize(&self, group: &Group) -> Result<()> {
        let mut wanted: Vec<(String, String)> = vec![
            (self.base.ssh_port_or_default().to_string(), "tcp".into()),
            (DOCKER_PORT.to_string(), "tcp".into()),
        ];
        if self.base.swarm_master {
            wanted.push((self.swarm_port().to_string(), "tcp".into()));
        }
        for p in self.own.open_ports.iter().flatten() {
            let (port, proto) = p.split_once('/').unwrap_or((p.as_str(), "tcp"));
            port.parse::<u16>()
                .map_err(|e| anyhow!("invalid port number {port}: {e}"))?;
            wanted.push((port.to_string(), proto.to_string()));
        }
        let mut params = Params::new();
        let mut n = 0;
        for (port, proto) in wanted {
            let key = format!("{port}/{proto}");
            if group.ports.contains(&key) || params.iter().any(|(_, v)| *v == key) {
                continue;
            }
            n += 1;
            let pre = format!("IpPermissions.{n}");
            params.push((format!("{pre}.IpProtocol"), proto.clone()));
            params.push((format!("{pre}.FromPort"), port.clone()));
            params.push((format!("{pre}.ToPort"), port.clone()));
            params.push((format!("{pre}.IpRanges.1.CidrIp"), IP_RANGE.into()));
        }
        if n == 0 {
            return Ok(());
        }
        params.insert(0, ("GroupId".into(), group.id.clone()));
        match self.call("AuthorizeSecurityGroupIngress", params) {
            // Opened meanwhile by a parallel create.
            Err(e) if ApiError::has_code(&e, "InvalidPermission.Duplicate") => Ok(()),
            other => other.map(|_| ()),
        }
    }

    /// Delete a group this machine created, once its instance is gone and no other
    /// instance uses it; `Ok(false)`: kept (still in use).
    pub(super) fn delete_group(&self, id: &str, wait_for_instance: bool) -> Result<bool> {
        if wait_for_instance && !self.own.instance_id.is_empty() {
            Waiter::new(Duration::from_secs(300), Duration::from_secs(3)).until(
                &format!("instance {} to terminate", self.own.instance_id),
                || match self.describe_instance() {
                    Ok(i) if i.state != "terminated" => Ok(None),
                    Ok(_) => Ok(Some(())),
                    Err(e) if ApiError::has_code(&e, INSTANCE_NOT_FOUND) => Ok(Some(())),
                    Err(e) => Err(e),
                },
            )?;
        }
        // The group's users are its network interfaces (an instance's, or any other).
        let xml = self.call(
            "DescribeNetworkInterfaces",
            filters(&[("group-id", vec![id.to_string()])]),
        )?;
        let doc = api::parse(&xml)?;
        let users: Vec<String> = api::items(doc.root_element(), "networkInterfaceSet")
            .into_iter()
            .map(|n| {
                api::path_text(n, &["attachment", "instanceId"])
                    .or_else(|| api::child_text(n, "networkInterfaceId"))
                    .unwrap_or_default()
            })
            .filter(|user| *user != self.own.instance_id)
            .collect();
        if !users.is_empty() {
            self.log(&format!(
                "Keeping security group {id}: still used by {}",
                users.join(", ")
            ));
            return Ok(false);
        }
        match self.call(
            "DeleteSecurityGroup",
            vec![("GroupId".into(), id.to_string())],
        ) {
            Ok(_) => Ok(true),
            Err(e) if ApiError::has_code(&e, "InvalidGroup.NotFound") => Ok(true),
            Err(e) if ApiError::has_code(&e, "DependencyViolation") => {
                self.log(&format!("Keeping security group {id}: still in use"));
                Ok(false)
            }
            Err(e) => Err(e),
        }
    }
}

struct Group {
    id: String,
    /// `port/proto` already open.
    ports: Vec<String>,
}
