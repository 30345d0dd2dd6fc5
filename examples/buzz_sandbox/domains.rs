//! The domain hierarchy: a tree of domains (a state, its districts, their schools) and the three
//! DLAP commands that read it, `listdomains`, `getdomainparentlist` and `getdomain2`.
//!
//! What Buzz documents: domains have one parent; a descendant's events reach its own targets and
//! every ancestor's (with the descendant's `domainId`); `GetDataStreamConfiguration` answers the
//! domain's own configuration only; the three commands and their parameters. What it does not:
//! the answer shapes, paging, and which login may read what. For each of those the sandbox plays
//! one reading by default and the others behind a flag (`Hierarchy`), see docs/buzz-api.md.
//!
//! Inferred rules played here:
//! - `listdomains` lists the children of `domainid` (`0`: the login's own domain), or with
//!   `includedescendantdomains` every descendant, not the domain itself
//!   (`--listdomains-includes-self` adds it); sorted by id; `text` keeps domains whose name or
//!   userspace contains it (any case); `limit` caps the page (`--listdomains-page-cap` caps
//!   every page, asked or not); the next page is asked for with `query` `/id>LAST` (LAST: the
//!   last id of the page before); any other query is refused.
//! - `getdomainparentlist` lists the ancestors, nearest first (`--parent-list-order root-first`),
//!   without the domain itself (`--parent-list-includes-self`).
//! - Answers: `{"domains": {"domain": [...]}}` (`--domain-list-shape flat`: `{"domains":
//!   [...]}`), `getdomain2` `{"domain": {...}}`; each domain `{"id", "name", "userspace",
//!   "parentid", ...}`, ids as strings, a root's `parentid` `"0"`.
//! - A login reads the domains of its own domain's subtree and its ancestors' records; the data
//!   stream configurations of its subtree only (see `App::in_scope`); `--deny-listdomains`
//!   refuses listing with `AccessDenied`.

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::{json, Map, Value};

use crate::auth::authenticate;
use crate::server::{BuzzError, Call, Reply};
use crate::state::App;

/// One domain of the tree.
#[derive(Debug, Clone, PartialEq)]
pub struct Domain {
    pub id: String,
    pub name: String,
    pub userspace: String,
    pub parent: Option<String>,
    /// Any other fields a `--domain-tree` JSON file gives, answered as they are.
    pub extra: Map<String, Value>,
}

impl Domain {
    fn new(id: &str, userspace: &str, name: &str, parent: Option<&str>) -> Self {
        Domain {
            id: id.to_owned(),
            name: name.to_owned(),
            userspace: userspace.to_owned(),
            parent: parent.map(str::to_owned),
            extra: Map::new(),
        }
    }

    /// The domain as DLAP answers it: strings only (XML attributes), extra fields after.
    pub fn to_json(&self) -> Value {
        let mut map = Map::new();
        map.insert("id".into(), json!(self.id));
        map.insert("name".into(), json!(self.name));
        map.insert("userspace".into(), json!(self.userspace));
        map.insert(
            "parentid".into(),
            json!(self.parent.as_deref().unwrap_or("0")),
        );
        for (key, value) in &self.extra {
            map.entry(key.clone()).or_insert_with(|| value.clone());
        }
        Value::Object(map)
    }
}

/// The domains the sandbox hosts, by id.
#[derive(Debug, Clone, Default)]
pub struct Tree {
    domains: BTreeMap<String, Domain>,
}

/// The order DLAP lists domains in (inferred): by numeric id, then by text.
fn id_key(id: &str) -> (u128, &str) {
    (id.parse::<u128>().unwrap_or(u128::MAX), id)
}

fn sort(list: &mut [&Domain]) {
    list.sort_by(|a, b| id_key(&a.id).cmp(&id_key(&b.id)));
}

impl Tree {
    /// The tree of `--domain-tree` (none: the main domain alone), with the main domain
    /// (`--domain-id`, `--userspace`) in it and `--other-domain` as a root of its own unless the
    /// tree places it.
    pub fn build(
        spec: Option<&str>,
        main_id: &str,
        main_userspace: &str,
        other: Option<&str>,
    ) -> Result<Tree, String> {
        let mut nodes = match spec.map(str::trim) {
            None | Some("") | Some("single") => {
                vec![Domain::new(main_id, main_userspace, "Sandbox", None)]
            }
            Some("state") => preset_state(main_id, main_userspace),
            Some(wide) if wide.starts_with("schools:") => {
                preset_schools(main_id, main_userspace, wide)?
            }
            Some(path) if path.ends_with(".json") => read_json(Path::new(path))?,
            Some(compact) => parse_compact(compact)?,
        };
        let Some(main) = nodes.iter_mut().find(|d| d.id == main_id) else {
            return Err(format!(
                "--domain-tree must contain the main domain (--domain-id {main_id})"
            ));
        };
        if main.userspace.is_empty() {
            main.userspace = main_userspace.to_owned();
        } else if !main.userspace.eq_ignore_ascii_case(main_userspace) {
            return Err(format!(
                "--domain-tree gives domain {main_id} the userspace {:?}, but --userspace is {main_userspace:?}",
                main.userspace
            ));
        }
        if let Some(other) = other {
            if !nodes.iter().any(|d| d.id == other) {
                nodes.push(Domain::new(
                    other,
                    &format!("tenant-{other}"),
                    "Other tenant",
                    None,
                ));
            }
        }
        let mut domains = BTreeMap::new();
        for mut node in nodes {
            if node.userspace.is_empty() {
                node.userspace = format!("d{}", node.id);
            }
            if node.name.is_empty() {
                node.name = format!("Domain {}", node.id);
            }
            if let Some(old) = domains.get(&node.id) {
                if *old != node {
                    return Err(format!(
                        "--domain-tree describes domain {} twice, differently",
                        node.id
                    ));
                }
            }
            domains.insert(node.id.clone(), node);
        }
        let tree = Tree { domains };
        tree.validate()?;
        Ok(tree)
    }

    fn validate(&self) -> Result<(), String> {
        let mut userspaces = BTreeMap::new();
        for domain in self.domains.values() {
            if domain.id.is_empty() || domain.id == "0" {
                return Err(format!("--domain-tree: {:?} is not a domain id", domain.id));
            }
            if let Some(first) =
                userspaces.insert(domain.userspace.to_ascii_lowercase(), domain.id.clone())
            {
                return Err(format!(
                    "--domain-tree: domains {first} and {} share the userspace {:?}",
                    domain.id, domain.userspace
                ));
            }
            if let Some(parent) = &domain.parent {
                if !self.domains.contains_key(parent) {
                    return Err(format!(
                        "--domain-tree: the parent {parent} of domain {} is not in the tree",
                        domain.id
                    ));
                }
            }
            // A cycle never reaches a root.
            let mut seen = 0;
            let mut at = domain;
            while let Some(parent) = at.parent.as_ref().and_then(|p| self.domains.get(p)) {
                seen += 1;
                if seen > self.domains.len() {
                    return Err(format!(
                        "--domain-tree: domain {} is its own ancestor",
                        domain.id
                    ));
                }
                at = parent;
            }
        }
        Ok(())
    }

    pub fn get(&self, id: &str) -> Option<&Domain> {
        self.domains.get(id)
    }

    pub fn ids(&self) -> impl Iterator<Item = &String> {
        self.domains.keys()
    }

    pub fn by_userspace(&self, userspace: &str) -> Option<&Domain> {
        self.domains
            .values()
            .find(|d| d.userspace.eq_ignore_ascii_case(userspace))
    }

    /// The ancestors of `id`, nearest first.
    pub fn ancestors(&self, id: &str) -> Vec<&Domain> {
        let mut out = Vec::new();
        let mut at = self.domains.get(id);
        while let Some(parent) = at
            .and_then(|d| d.parent.as_ref())
            .and_then(|p| self.domains.get(p))
        {
            if out.len() > self.domains.len() {
                break;
            }
            out.push(parent);
            at = Some(parent);
        }
        out
    }

    /// The children of `id`, by id.
    pub fn children(&self, id: &str) -> Vec<&Domain> {
        let mut out: Vec<&Domain> = self
            .domains
            .values()
            .filter(|d| d.parent.as_deref() == Some(id))
            .collect();
        sort(&mut out);
        out
    }

    /// Every descendant of `id` (children, their children, ...), by id.
    pub fn descendants(&self, id: &str) -> Vec<&Domain> {
        let mut out: Vec<&Domain> = self
            .domains
            .values()
            .filter(|d| d.id != id && self.is_within(&d.id, id))
            .collect();
        sort(&mut out);
        out
    }

    /// True when `id` is `root` or one of its descendants.
    pub fn is_within(&self, id: &str, root: &str) -> bool {
        id == root || self.ancestors(id).iter().any(|a| a.id == root)
    }

    /// The tree for `/sandbox/tree`: every domain, by id.
    pub fn to_json(&self) -> Value {
        let mut all: Vec<&Domain> = self.domains.values().collect();
        sort(&mut all);
        Value::Array(all.into_iter().map(Domain::to_json).collect())
    }

    /// One line for the banner: `400000 state > 424242 sandbox > ...`.
    pub fn describe(&self) -> String {
        let mut roots: Vec<&Domain> = self
            .domains
            .values()
            .filter(|d| d.parent.is_none())
            .collect();
        sort(&mut roots);
        let mut out = Vec::new();
        for root in roots {
            self.describe_into(root, 0, &mut out);
        }
        out.join("\n")
    }

    fn describe_into(&self, domain: &Domain, depth: usize, out: &mut Vec<String>) {
        out.push(format!(
            "    {}{} //{} ({})",
            "  ".repeat(depth),
            domain.id,
            domain.userspace,
            domain.name
        ));
        for child in self.children(&domain.id) {
            self.describe_into(child, depth + 1, out);
        }
    }
}

/// `--domain-tree state`: a state with two districts; the main domain is the first district
/// (three schools), the other district has two.
fn preset_state(main_id: &str, main_userspace: &str) -> Vec<Domain> {
    vec![
        Domain::new("400000", "state", "State Department of Education", None),
        Domain::new(main_id, main_userspace, "District A", Some("400000")),
        Domain::new("424243", "district-b", "District B", Some("400000")),
        Domain::new("500001", "school-a1", "School A1", Some(main_id)),
        Domain::new("500002", "school-a2", "School A2", Some(main_id)),
        Domain::new("500003", "school-a3", "School A3", Some(main_id)),
        Domain::new("500011", "school-b1", "School B1", Some("424243")),
        Domain::new("500012", "school-b2", "School B2", Some("424243")),
    ]
}

/// `--domain-tree schools:N`: the main domain with N schools below it (ids 600001 on,
/// userspaces `school-1` on), for a wide district.
fn preset_schools(main_id: &str, main_userspace: &str, spec: &str) -> Result<Vec<Domain>, String> {
    let count = spec["schools:".len()..]
        .trim()
        .parse::<u32>()
        .ok()
        .filter(|n| (1..=100_000).contains(n))
        .ok_or_else(|| {
            format!("--domain-tree {spec}: N must be a whole number from 1 to 100000")
        })?;
    let mut nodes = vec![Domain::new(main_id, main_userspace, "District", None)];
    nodes.extend((1..=count).map(|n| {
        Domain::new(
            &(600_000 + n).to_string(),
            &format!("school-{n}"),
            &format!("School {n}"),
            Some(main_id),
        )
    }));
    Ok(nodes)
}

/// The compact form: comma-separated paths from a root, each step `ID[=USERSPACE[:NAME]]`, e.g.
/// `400000=state/424242/500001=school-a1,400000/424242/500002`. A step given twice must agree.
fn parse_compact(spec: &str) -> Result<Vec<Domain>, String> {
    let mut nodes: Vec<Domain> = Vec::new();
    for path in spec.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let mut parent: Option<String> = None;
        for step in path.split('/').map(str::trim) {
            let (id, rest) = step.split_once('=').unwrap_or((step, ""));
            let (userspace, name) = rest.split_once(':').unwrap_or((rest, ""));
            let id = id.trim();
            if id.is_empty() {
                return Err(format!("--domain-tree: an empty step in {path:?}"));
            }
            match nodes.iter_mut().find(|d| d.id == id) {
                Some(known) => {
                    if known.parent != parent {
                        return Err(format!(
                            "--domain-tree: domain {id} has two parents ({:?} and {:?})",
                            known.parent, parent
                        ));
                    }
                    if !userspace.is_empty() {
                        if !known.userspace.is_empty() && known.userspace != userspace {
                            return Err(format!("--domain-tree: domain {id} has two userspaces"));
                        }
                        known.userspace = userspace.to_owned();
                    }
                    if !name.is_empty() {
                        known.name = name.to_owned();
                    }
                }
                None => nodes.push(Domain::new(id, userspace, name, parent.as_deref())),
            }
            parent = Some(id.to_owned());
        }
    }
    if nodes.is_empty() {
        return Err("--domain-tree: no domain given".into());
    }
    Ok(nodes)
}

/// A JSON file: an array (or `{"domains": [...]}`) of `{"id", "name", "userspace",
/// "parentid", ...}`; ids may be numbers; a missing, empty or `"0"` parentid makes a root.
fn read_json(path: &Path) -> Result<Vec<Domain>, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read --domain-tree {}: {e}", path.display()))?;
    let value: Value = serde_json::from_str(&text)
        .map_err(|e| format!("--domain-tree {} is not JSON: {e}", path.display()))?;
    let items = match &value {
        Value::Array(items) => items,
        Value::Object(map) => match map.get("domains") {
            Some(Value::Array(items)) => items,
            _ => {
                return Err(format!(
                    "--domain-tree {}: no \"domains\" array",
                    path.display()
                ))
            }
        },
        _ => return Err(format!("--domain-tree {}: not an array", path.display())),
    };
    let text_of = |v: Option<&Value>| match v {
        Some(Value::String(s)) => s.trim().to_owned(),
        Some(Value::Number(n)) => n.to_string(),
        _ => String::new(),
    };
    let mut nodes = Vec::new();
    for item in items {
        let Value::Object(map) = item else {
            return Err(format!(
                "--domain-tree {}: {item} is not an object",
                path.display()
            ));
        };
        let parent = text_of(map.get("parentid"));
        let mut domain = Domain::new(
            &text_of(map.get("id")),
            &text_of(map.get("userspace")),
            &text_of(map.get("name")),
            (!parent.is_empty() && parent != "0").then_some(parent.as_str()),
        );
        domain.extra = map
            .iter()
            .filter(|(k, _)| !["id", "name", "userspace", "parentid"].contains(&k.as_str()))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        nodes.push(domain);
    }
    Ok(nodes)
}

/// How the sandbox answers the questions Buzz's documentation leaves open.
#[derive(Debug, Clone, Default)]
pub struct Hierarchy {
    pub list_shape: ListShape,
    pub list_includes_self: bool,
    pub parent_list_includes_self: bool,
    pub parent_list_order: ParentOrder,
    pub deny_listdomains: Option<DenyList>,
    /// At most this many domains in one listdomains answer, whatever `limit` asks.
    pub page_cap: Option<usize>,
}

/// `--domain-list-shape`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum ListShape {
    /// `{"domains": {"domain": [...]}}`: DLAP's JSON from an XML root.
    #[default]
    Nested,
    /// `{"domains": [...]}`.
    Flat,
}

/// `--parent-list-order`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum ParentOrder {
    /// The parent first, the root last.
    #[default]
    NearestFirst,
    /// The root first, the parent last.
    RootFirst,
}

/// `--deny-listdomains`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum DenyList {
    /// `listdomains` with `includedescendantdomains` answers AccessDenied; children still list.
    Descendants,
    /// Every `listdomains` answers AccessDenied.
    All,
}

fn list_payload(app: &App, domains: Vec<&Domain>) -> Map<String, Value> {
    let items: Vec<Value> = domains.into_iter().map(Domain::to_json).collect();
    let mut payload = Map::new();
    let value = match app.settings.hierarchy.list_shape {
        ListShape::Nested => json!({ "domain": items }),
        ListShape::Flat => Value::Array(items),
    };
    payload.insert("domains".into(), value);
    payload
}

fn denied(user: &str, what: String) -> BuzzError {
    BuzzError::new("AccessDenied", format!("User {user} may not {what}"))
}

/// The `domainid` parameter as a domain of the tree (`0` allowed where `zero_is_login`).
fn domain_param(
    app: &App,
    call: &Call,
    login: &str,
    zero_is_login: bool,
) -> Result<String, BuzzError> {
    let Some(given) = call.param("domainid") else {
        return Err(BuzzError::bad_request(
            "Missing required parameter 'domainid'",
        ));
    };
    if zero_is_login && given.trim() == "0" {
        return Ok(login.to_owned());
    }
    app.resolve_domain(&given)
        .ok_or_else(|| BuzzError::bad_request(format!("Domain '{given}' was not found")))
}

/// `/id>N` (quotes and spaces allowed): the next page after id N.
fn parse_query(query: &str) -> Result<Option<String>, BuzzError> {
    let compact: String = query.chars().filter(|c| !c.is_whitespace()).collect();
    if compact.is_empty() {
        return Ok(None);
    }
    compact
        .strip_prefix("/id>")
        .map(|n| n.trim_matches(['\'', '"']).to_owned())
        .filter(|n| !n.is_empty())
        .map(Some)
        .ok_or_else(|| {
            BuzzError::bad_request(format!(
                "The query {query:?} is not understood (the sandbox plays only /id>N, the next page after id N)"
            ))
        })
}

pub fn list_domains(app: &App, call: &Call) -> Result<Reply, BuzzError> {
    let caller = authenticate(app, call)?;
    let login = caller.session.domain.clone();
    let user = caller.user.userid.clone();
    let domain = domain_param(app, call, &login, true)?;
    let descendants = call.flag("includedescendantdomains");
    match app.settings.hierarchy.deny_listdomains {
        Some(DenyList::All) => {
            return Err(denied(&user, format!("list the domains of {domain}")));
        }
        Some(DenyList::Descendants) if descendants => {
            return Err(denied(
                &user,
                format!("list the descendant domains of {domain}"),
            ));
        }
        _ => {}
    }
    if !app.in_scope(&login, &domain) {
        return Err(denied(
            &user,
            format!("list the domains of {domain}: it is outside the login's domain {login}"),
        ));
    }
    let limit = match call.param("limit") {
        None => 0,
        Some(text) => text.trim().parse::<usize>().map_err(|_| {
            BuzzError::bad_request(format!("'limit' must be a whole number, got {text:?}"))
        })?,
    };
    let after = parse_query(&call.param("query").unwrap_or_default())?;
    let text = call.param("text").unwrap_or_default().to_lowercase();
    let tree = &app.settings.tree;
    let mut list = if descendants {
        tree.descendants(&domain)
    } else {
        tree.children(&domain)
    };
    if app.settings.hierarchy.list_includes_self {
        if let Some(itself) = tree.get(&domain) {
            list.push(itself);
        }
    }
    sort(&mut list);
    let mut list: Vec<&Domain> = list
        .into_iter()
        .filter(|d| {
            text.is_empty()
                || d.name.to_lowercase().contains(&text)
                || d.userspace.to_lowercase().contains(&text)
        })
        .filter(|d| {
            after
                .as_deref()
                .is_none_or(|after| id_key(&d.id) > id_key(after))
        })
        .collect();
    let cap = app.settings.hierarchy.page_cap.unwrap_or(usize::MAX);
    let limit = if limit == 0 { cap } else { limit.min(cap) };
    list.truncate(limit);
    Ok(Reply::ok(list_payload(app, list)))
}

pub fn parent_list(app: &App, call: &Call) -> Result<Reply, BuzzError> {
    let caller = authenticate(app, call)?;
    let login = caller.session.domain.clone();
    let domain = domain_param(app, call, &login, false)?;
    if !app.in_scope(&login, &domain) {
        return Err(denied(
            &caller.user.userid,
            format!("read the parents of {domain}: it is outside the login's domain {login}"),
        ));
    }
    let tree = &app.settings.tree;
    let mut list = tree.ancestors(&domain);
    let hierarchy = &app.settings.hierarchy;
    if hierarchy.parent_list_includes_self {
        if let Some(itself) = tree.get(&domain) {
            list.insert(0, itself);
        }
    }
    if hierarchy.parent_list_order == ParentOrder::RootFirst {
        list.reverse();
    }
    Ok(Reply::ok(list_payload(app, list)))
}

pub fn get_domain2(app: &App, call: &Call) -> Result<Reply, BuzzError> {
    let caller = authenticate(app, call)?;
    let login = caller.session.domain.clone();
    let domain = domain_param(app, call, &login, false)?;
    let tree = &app.settings.tree;
    // A login sees its subtree, and the records of its ancestors (its parent list shows them).
    if !app.in_scope(&login, &domain) && !tree.is_within(&login, &domain) {
        return Err(denied(
            &caller.user.userid,
            format!("read domain {domain}: it is outside the login's domain {login}"),
        ));
    }
    let record = tree
        .get(&domain)
        .map(Domain::to_json)
        .unwrap_or(Value::Null);
    let mut payload = Map::new();
    payload.insert("domain".into(), record);
    Ok(Reply::ok(payload))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(list: Vec<&Domain>) -> Vec<&str> {
        list.into_iter().map(|d| d.id.as_str()).collect()
    }

    #[test]
    fn no_spec_is_the_main_domain_and_the_other_tenant() {
        let tree = Tree::build(None, "424242", "sandbox", Some("777")).unwrap();
        assert_eq!(tree.ids().collect::<Vec<_>>(), ["424242", "777"]);
        assert_eq!(tree.by_userspace("SANDBOX").unwrap().id, "424242");
        assert!(tree.get("777").unwrap().parent.is_none());
    }

    #[test]
    fn the_state_preset_has_two_districts_with_schools() {
        let tree = Tree::build(Some("state"), "424242", "sandbox", None).unwrap();
        assert_eq!(ids(tree.children("400000")), ["424242", "424243"]);
        assert_eq!(ids(tree.children("424242")), ["500001", "500002", "500003"]);
        assert_eq!(tree.descendants("400000").len(), 7);
        assert_eq!(ids(tree.ancestors("500011")), ["424243", "400000"]);
        assert!(tree.is_within("500001", "400000"));
        assert!(!tree.is_within("500011", "424242"));
    }

    #[test]
    fn the_schools_preset_makes_a_wide_district() {
        let tree = Tree::build(Some("schools:200"), "424242", "sandbox", None).unwrap();
        assert_eq!(tree.children("424242").len(), 200);
        assert_eq!(tree.get("600200").unwrap().userspace, "school-200");
        assert!(Tree::build(Some("schools:0"), "424242", "sandbox", None).is_err());
    }

    #[test]
    fn the_compact_form_reads_paths_userspaces_and_names() {
        let tree = Tree::build(
            Some("1=state:The State/2/3=s3, 1/2/4, 1/5"),
            "2",
            "sandbox",
            None,
        )
        .unwrap();
        assert_eq!(tree.get("1").unwrap().name, "The State");
        assert_eq!(tree.get("2").unwrap().userspace, "sandbox");
        assert_eq!(tree.get("3").unwrap().userspace, "s3");
        assert_eq!(tree.get("4").unwrap().userspace, "d4");
        assert_eq!(ids(tree.children("1")), ["2", "5"]);
    }

    #[test]
    fn contradictions_are_refused() {
        for (spec, main) in [
            ("1/2,3/2", "2"),     // two parents
            ("1/2", "9"),         // no main domain
            ("1=a/2/3=a", "2"),   // a shared userspace
            ("1/2=other", "2"),   // the main domain's userspace is --userspace's
            ("1/2=x,1/2=y", "1"), // two userspaces
        ] {
            assert!(
                Tree::build(Some(spec), main, "sandbox", None).is_err(),
                "{spec}"
            );
        }
    }

    #[test]
    fn the_next_page_query_is_id_greater_than() {
        assert_eq!(parse_query("/id>500001").unwrap(), Some("500001".into()));
        assert_eq!(parse_query(" /id > '7' ").unwrap(), Some("7".into()));
        assert_eq!(parse_query("").unwrap(), None);
        assert!(parse_query("/name='x'").is_err());
    }
}
