//! The metadata tree, built once per configuration change so that reads only look things up.

use std::collections::{BTreeMap, HashMap};

use bytes::Bytes;
use serde_json::Value;

use crate::config::InstanceConfig;
use crate::format::imds_json;
use crate::identity::IdentityDocuments;

/// Version roots `GET /` lists, oldest first and `latest` last as IMDS does. Every one of them
/// serves the same tree.
pub(crate) const VERSIONS: &[&str] = &[
    "1.0",
    "2007-01-19",
    "2008-02-01",
    "2009-04-04",
    "2011-01-01",
    "2014-02-25",
    "2016-09-02",
    "2018-09-24",
    "2019-10-01",
    "2020-10-27",
    "2021-03-23",
    "2021-07-15",
    "2022-09-24",
    "latest",
];

/// A leaf whose answer depends on the clock or on run-time state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Dynamic {
    RoleCredentials,
    InstanceIdentityCredentials,
    SpotInstanceAction,
    SpotTerminationTime,
    Rebalance,
    MaintenanceScheduled,
    MaintenanceHistory,
    AutoscalingState,
}

/// Content type of a leaf.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Text,
    Binary,
}

#[derive(Debug, Clone)]
enum Leaf {
    Static(Bytes, Kind),
    Dynamic(Dynamic),
}

#[derive(Debug)]
enum Node {
    Leaf(Leaf),
    Dir {
        /// Child names and node indexes, in listing order.
        children: Vec<(String, usize)>,
        /// The listing, when it cannot change between rebuilds.
        listing: Option<Bytes>,
        has_dynamic: bool,
    },
}

/// What a path resolves to.
pub(crate) enum Found<'a> {
    Static(&'a Bytes, Kind),
    Dynamic(Dynamic),
    Dir(usize),
    Missing,
}

/// The tree under `/latest/`, keyed by path without leading or trailing slashes.
#[derive(Debug)]
pub(crate) struct Tree {
    nodes: Vec<Node>,
    index: HashMap<String, usize>,
}

impl Tree {
    pub fn build(
        config: &InstanceConfig,
        user_data: Option<&[u8]>,
        identity: &IdentityDocuments,
    ) -> Tree {
        let mut leaves = BTreeMap::new();
        let mut listings = HashMap::new();
        meta_data(config, &mut leaves, &mut listings);
        for (path, value) in &config.metadata {
            let path = path.trim_matches('/');
            if path.split('/').any(str::is_empty) {
                // No leaf can live at the root or under an empty name.
                continue;
            }
            let path = format!("latest/meta-data/{path}");
            let prefix = format!("{path}/");
            leaves
                .retain(|existing: &String, _| existing != &path && !existing.starts_with(&prefix));
            if let Some(value) = value {
                // A new leaf replaces any leaf standing where its directories go.
                leaves.retain(|existing, _| !path.starts_with(&format!("{existing}/")));
                leaves.insert(path, text(value));
            }
        }
        let documents = [
            ("document", &identity.document),
            ("pkcs7", &identity.pkcs7),
            ("rsa2048", &identity.rsa2048),
            ("signature", &identity.signature),
        ];
        for (name, value) in documents {
            leaves.insert(
                format!("latest/dynamic/instance-identity/{name}"),
                text(value),
            );
        }
        if let Some(data) = user_data {
            let data = Bytes::copy_from_slice(data);
            leaves.insert("latest/user-data".into(), Leaf::Static(data, Kind::Binary));
        }
        Tree::from_leaves(leaves, listings)
    }

    fn from_leaves(leaves: BTreeMap<String, Leaf>, listings: HashMap<String, String>) -> Tree {
        let mut tree = Tree {
            nodes: Vec::new(),
            index: HashMap::new(),
        };
        tree.add_dir("latest");
        for (path, leaf) in leaves {
            let mut parent = tree.index["latest"];
            let parts: Vec<&str> = path.split('/').collect();
            for depth in 2..parts.len() {
                let dir = parts[..depth].join("/");
                let index = match tree.index.get(&dir) {
                    Some(index) => *index,
                    None => {
                        let index = tree.add_dir(&dir);
                        tree.add_child(parent, parts[depth - 1], index);
                        index
                    }
                };
                parent = index;
            }
            let name = parts[parts.len() - 1];
            let index = tree.nodes.len();
            tree.nodes.push(Node::Leaf(leaf));
            tree.index.insert(path.clone(), index);
            tree.add_child(parent, name, index);
        }
        tree.mark_dynamic(0);
        for index in 0..tree.nodes.len() {
            let listing = tree.static_listing(index);
            if let Node::Dir {
                listing: slot,
                has_dynamic: false,
                ..
            } = &mut tree.nodes[index]
            {
                *slot = listing;
            }
        }
        for (path, text) in listings {
            if let Some(Node::Dir { listing, .. }) =
                tree.index.get(&path).map(|index| &mut tree.nodes[*index])
            {
                *listing = Some(Bytes::from(text));
            }
        }
        tree
    }

    fn add_dir(&mut self, path: &str) -> usize {
        let index = self.nodes.len();
        self.nodes.push(Node::Dir {
            children: Vec::new(),
            listing: None,
            has_dynamic: false,
        });
        self.index.insert(path.to_owned(), index);
        index
    }

    fn add_child(&mut self, parent: usize, name: &str, child: usize) {
        if let Node::Dir { children, .. } = &mut self.nodes[parent] {
            children.push((name.to_owned(), child));
        }
    }

    fn mark_dynamic(&mut self, index: usize) -> bool {
        let children: Vec<usize> = match &self.nodes[index] {
            Node::Leaf(leaf) => return matches!(leaf, Leaf::Dynamic(_)),
            Node::Dir { children, .. } => children.iter().map(|(_, child)| *child).collect(),
        };
        let mut any = false;
        for child in children {
            any |= self.mark_dynamic(child);
        }
        if let Node::Dir { has_dynamic, .. } = &mut self.nodes[index] {
            *has_dynamic = any;
        }
        any
    }

    fn static_listing(&self, index: usize) -> Option<Bytes> {
        self.listing(index, &|_| true)
    }

    /// Looks a path up; `path` has no leading or trailing slash and starts with `latest`.
    pub fn find(&self, path: &str) -> Found<'_> {
        match self
            .index
            .get(path)
            .map(|index| (*index, &self.nodes[*index]))
        {
            None => Found::Missing,
            Some((_, Node::Leaf(Leaf::Static(body, kind)))) => Found::Static(body, *kind),
            Some((_, Node::Leaf(Leaf::Dynamic(dynamic)))) => Found::Dynamic(*dynamic),
            Some((index, Node::Dir { .. })) => Found::Dir(index),
        }
    }

    /// The listing of a directory, counting only the entries `present` says exist right now;
    /// `None` when nothing in it exists (the directory itself is then 404).
    pub fn listing(&self, index: usize, present: &dyn Fn(Dynamic) -> bool) -> Option<Bytes> {
        let Node::Dir {
            children,
            listing,
            has_dynamic,
        } = &self.nodes[index]
        else {
            return None;
        };
        if let (Some(listing), false) = (listing, has_dynamic) {
            return Some(listing.clone());
        }
        let mut out = String::new();
        for (name, child) in children {
            let is_dir = matches!(self.nodes[*child], Node::Dir { .. });
            if self.exists(*child, present) {
                if !out.is_empty() {
                    out.push('\n');
                }
                out.push_str(name);
                if is_dir {
                    out.push('/');
                }
            }
        }
        (!out.is_empty()).then(|| Bytes::from(out))
    }

    fn exists(&self, index: usize, present: &dyn Fn(Dynamic) -> bool) -> bool {
        match &self.nodes[index] {
            Node::Leaf(Leaf::Static(..)) => true,
            Node::Leaf(Leaf::Dynamic(dynamic)) => present(*dynamic),
            Node::Dir {
                children,
                has_dynamic,
                ..
            } => {
                !has_dynamic
                    || children
                        .iter()
                        .any(|(_, child)| self.exists(*child, present))
            }
        }
    }
}

fn text(value: &str) -> Leaf {
    Leaf::Static(Bytes::copy_from_slice(value.as_bytes()), Kind::Text)
}

fn meta_data(
    config: &InstanceConfig,
    leaves: &mut BTreeMap<String, Leaf>,
    listings: &mut HashMap<String, String>,
) {
    let mut put = |path: &str, value: &str| {
        leaves.insert(format!("latest/meta-data/{path}"), text(value));
    };
    let mac = &config.mac;
    let iface = format!("network/interfaces/macs/{mac}");
    let groups = config.security_groups.join("\n");
    put("ami-id", &config.ami_id);
    put("ami-launch-index", &config.ami_launch_index.to_string());
    put("ami-manifest-path", "(unknown)");
    put("hostname", &config.hostname);
    put("instance-action", "none");
    put("instance-id", &config.instance_id);
    put("instance-life-cycle", &config.instance_life_cycle);
    put("instance-type", &config.instance_type);
    put("local-hostname", &config.local_hostname);
    put("local-ipv4", &config.local_ipv4);
    put("mac", mac);
    put("reservation-id", &config.reservation_id);
    put("security-groups", &groups);
    put("system", "nitro");
    put("services/domain", &config.services_domain);
    put("services/partition", &config.services_partition);
    put("placement/availability-zone", &config.availability_zone);
    put(
        "placement/availability-zone-id",
        &config.availability_zone_id,
    );
    put("placement/region", &config.region);
    if let Some(group) = &config.placement_group_name {
        put("placement/group-name", group);
    }
    if let Some(partition) = config.partition_number {
        put("placement/partition-number", &partition.to_string());
    }
    if let Some(host) = &config.host_id {
        put("placement/host-id", host);
    }
    if !config.product_codes.is_empty() {
        put("product-codes", &config.product_codes.join("\n"));
    }
    for (name, device) in &config.block_device_mapping {
        put(&format!("block-device-mapping/{name}"), device);
    }
    put(&format!("{iface}/device-number"), "0");
    put(&format!("{iface}/interface-id"), &config.interface_id);
    put(&format!("{iface}/local-hostname"), &config.local_hostname);
    put(&format!("{iface}/local-ipv4s"), &config.local_ipv4);
    put(&format!("{iface}/mac"), mac);
    put(&format!("{iface}/owner-id"), &config.account_id);
    put(
        &format!("{iface}/security-group-ids"),
        &config.security_group_ids.join("\n"),
    );
    put(&format!("{iface}/security-groups"), &groups);
    put(&format!("{iface}/subnet-id"), &config.subnet_id);
    put(
        &format!("{iface}/subnet-ipv4-cidr-block"),
        &config.subnet_ipv4_cidr_block,
    );
    put(&format!("{iface}/vpc-id"), &config.vpc_id);
    put(
        &format!("{iface}/vpc-ipv4-cidr-block"),
        &config.vpc_ipv4_cidr_block,
    );
    put(
        &format!("{iface}/vpc-ipv4-cidr-blocks"),
        &config.vpc_ipv4_cidr_block,
    );
    if let Some(public_ipv4) = &config.public_ipv4 {
        put("public-ipv4", public_ipv4);
        put(&format!("{iface}/public-ipv4s"), public_ipv4);
        put(
            &format!("{iface}/ipv4-associations/{public_ipv4}"),
            &config.local_ipv4,
        );
    }
    if let Some(public_hostname) = &config.public_hostname {
        put("public-hostname", public_hostname);
        put(&format!("{iface}/public-hostname"), public_hostname);
    }
    if let Some(ipv6) = &config.ipv6 {
        put("ipv6", ipv6);
        put(&format!("{iface}/ipv6s"), ipv6);
    }
    if let Some(key_name) = &config.public_key_name {
        put("public-keys/0/openssh-key", &config.public_key);
        listings.insert(
            "latest/meta-data/public-keys".into(),
            format!("0={key_name}"),
        );
    }
    if config.tags_enabled {
        for (key, value) in &config.tags {
            put(&format!("tags/instance/{key}"), value);
        }
    }
    let updated = Value::from(crate::format::iso8601(time::OffsetDateTime::now_utc()));
    put(
        "identity-credentials/ec2/info",
        &imds_json(&[
            ("Code", Value::from("Success")),
            ("LastUpdated", updated.clone()),
            ("AccountId", Value::from(config.account_id.as_str())),
        ]),
    );
    if let (Some(role), Some(arn)) = (&config.iam_role, config.instance_profile_arn()) {
        put(
            "iam/info",
            &imds_json(&[
                ("Code", Value::from("Success")),
                ("LastUpdated", updated),
                ("InstanceProfileArn", Value::from(arn)),
                (
                    "InstanceProfileId",
                    Value::from(config.instance_profile_id.as_str()),
                ),
            ]),
        );
        let credentials = format!("latest/meta-data/iam/security-credentials/{role}");
        leaves.insert(credentials, Leaf::Dynamic(Dynamic::RoleCredentials));
    }
    let dynamic = [
        (
            "identity-credentials/ec2/security-credentials/ec2-instance",
            Dynamic::InstanceIdentityCredentials,
        ),
        ("spot/instance-action", Dynamic::SpotInstanceAction),
        ("spot/termination-time", Dynamic::SpotTerminationTime),
        ("events/recommendations/rebalance", Dynamic::Rebalance),
        (
            "events/maintenance/scheduled",
            Dynamic::MaintenanceScheduled,
        ),
        ("events/maintenance/history", Dynamic::MaintenanceHistory),
        (
            "autoscaling/target-lifecycle-state",
            Dynamic::AutoscalingState,
        ),
    ];
    for (path, dynamic) in dynamic {
        leaves.insert(format!("latest/meta-data/{path}"), Leaf::Dynamic(dynamic));
    }
}
