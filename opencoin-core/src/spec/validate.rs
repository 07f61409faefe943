//! Field-by-field checks from the raw file to a [`CurrencySpec`].
//!
//! Each function takes the path of the part it checks, so that an error can
//! say `rules[2].rate` rather than "a rate somewhere".
//!
//! A rule and the supply section arrive flat, with the fields of every kind
//! (see [`raw::Rule`]); the checks here look the kind or policy up in
//! `RULE_KINDS` or `SUPPLY_POLICIES`, refuse a written field that the
//! kind does not take, and require the fields it cannot do without.

use std::collections::BTreeSet;

use rust_decimal::Decimal;

use super::raw;
use super::{
    AreaSpec, CurrencySpec, DECLARED_ACCOUNTS_MAX, DeclaredAccount, DemurrageSpec, Enforcement,
    ExchangeLinkSpec, LinkDirection, MeltDestination, MeltRounding, NAME_BYTES_MAX, Party,
    PerimeterSpec, PolygonSpec, RULES_PER_CURRENCY_MAX, RuleKind, RuleSpec, SectorDirection,
    SectorMode, SectorPattern, SectorRuleSpec, SpecError, SupplyPolicy, parse_public_key,
    parse_rate,
};
use crate::{AccountId, AccountKind, Amount, CurrencyCode, Location, Period, SectorCode};

type Checked<T> = Result<T, SpecError>;

pub(super) fn currency(file: raw::CurrencyFile) -> Checked<CurrencySpec> {
    let code = CurrencyCode::new(&file.code).map_err(|e| SpecError::new("code", e.to_string()))?;
    let name = text("name", &file.name)?;
    let decimals = file.decimals;
    zero(decimals)?;

    let supply = supply(&file.supply, decimals)?;
    let accounts = declared_accounts(&file.accounts, &supply, decimals)?;

    if file.rules.len() > RULES_PER_CURRENCY_MAX {
        return Err(SpecError::new(
            "rules",
            format!("has {} rules; at most {RULES_PER_CURRENCY_MAX}", file.rules.len()),
        ));
    }
    let rules = file
        .rules
        .iter()
        .enumerate()
        .map(|(index, raw_rule)| rule(index, raw_rule, decimals, &accounts))
        .collect::<Checked<Vec<_>>>()?;
    check_rule_set(&rules)?;

    let exempt_accounts = file.exempt_accounts.iter().copied().map(AccountId).collect();
    let exchange_links = file
        .exchange_links
        .iter()
        .enumerate()
        .map(|(index, link)| {
            exchange_link(&format!("exchange_links[{index}]"), link, code, decimals)
        })
        .collect::<Checked<Vec<_>>>()?;

    Ok(CurrencySpec {
        code,
        name,
        decimals,
        supply,
        rules,
        exempt_accounts,
        accounts,
        exchange_links,
        // Set by the readers that have the file's text.
        source: None,
    })
}

fn text(path: &str, value: &str) -> Checked<String> {
    if value.trim().is_empty() {
        return Err(SpecError::new(path, "must not be empty"));
    }
    if value.len() > NAME_BYTES_MAX {
        return Err(SpecError::new(
            path,
            format!("is {} bytes long; at most {NAME_BYTES_MAX} are accepted", value.len()),
        ));
    }
    Ok(value.to_owned())
}

/// Zero in the currency's decimals; refuses decimals out of range, which
/// is how the `decimals` field itself is checked.
fn zero(decimals: u8) -> Checked<Amount> {
    Amount::zero(decimals).map_err(|e| SpecError::new("decimals", e.to_string()))
}

fn amount(path: &str, value: &str, decimals: u8) -> Checked<Amount> {
    Amount::parse(value, decimals).map_err(|e| SpecError::new(path, e.to_string()))
}

fn positive_amount(path: &str, value: &str, decimals: u8) -> Checked<Amount> {
    amount(path, value, decimals)?
        .require_positive()
        .map_err(|e| SpecError::new(path, e.to_string()))
}

fn non_negative_amount(path: &str, value: &str, decimals: u8) -> Checked<Amount> {
    amount(path, value, decimals)?
        .require_non_negative()
        .map_err(|e| SpecError::new(path, e.to_string()))
}

fn period(path: &str, value: &str) -> Checked<Period> {
    Period::parse(value).map_err(|e| SpecError::new(path, e.to_string()))
}

/// The ranges a position must fall in, for messages.
const POSITION_RANGES: &str = "(latitude -90..=90, longitude -180..=180)";

/// A position written `[latitude, longitude]`, as in the rest of the file.
fn location(path: &str, [latitude, longitude]: [f64; 2]) -> Checked<Location> {
    Location::new(latitude, longitude).map_err(|_| {
        let problem = format!(
            "[{latitude}, {longitude}] is not a [latitude, longitude] position {POSITION_RANGES}"
        );
        SpecError::new(path, problem)
    })
}

/// A GeoJSON position, written `[longitude, latitude]` as GeoJSON requires.
/// The message repeats the file's order, so that a designer who swapped the
/// two sees it.
fn geojson_position(path: &str, [longitude, latitude]: [f64; 2]) -> Checked<Location> {
    Location::new(latitude, longitude).map_err(|_| {
        let problem = format!(
            "[{longitude}, {latitude}] is not a [longitude, latitude] position {POSITION_RANGES}"
        );
        SpecError::new(path, problem)
    })
}

fn choice<T: Copy>(
    path: &str,
    value: Option<&str>,
    default: T,
    options: &[(&str, T)],
) -> Checked<T> {
    let Some(value) = value else {
        return Ok(default);
    };
    options.iter().find(|(name, _)| *name == value).map(|&(_, option)| option).ok_or_else(|| {
        let names: Vec<&str> = options.iter().map(|(name, _)| *name).collect();
        SpecError::new(path, format!("{value:?} is not one of {}", names.join(", ")))
    })
}

/// The supply policies a file may name, each with the fields it takes
/// besides `policy`.
const SUPPLY_POLICIES: &[(&str, &[&str])] = &[
    ("issued", &["issuers", "cap"]),
    ("basic_income", &["amount", "period"]),
    ("mutual_credit", &["credit_limit", "enforcement"]),
];

/// The fields of the supply section besides `policy`, each with whether the
/// file wrote it. The pattern names every field, so a field added to
/// [`raw::Supply`] does not compile until it is listed here too.
fn written_supply_fields(supply: &raw::Supply) -> [(&'static str, bool); 6] {
    let raw::Supply { policy: _, issuers, cap, amount, period, credit_limit, enforcement } = supply;
    [
        ("issuers", issuers.is_some()),
        ("cap", cap.is_some()),
        ("amount", amount.is_some()),
        ("period", period.is_some()),
        ("credit_limit", credit_limit.is_some()),
        ("enforcement", enforcement.is_some()),
    ]
}

fn supply(supply: &raw::Supply, decimals: u8) -> Checked<SupplyPolicy> {
    let (policy, fields) =
        variant("supply.policy", &supply.policy, "supply policy", SUPPLY_POLICIES)?;
    let section = Section { path: "supply".to_owned(), described: format!("the {policy} policy") };
    section.check_written(&written_supply_fields(supply), &["policy"], fields)?;

    match policy {
        "issued" => {
            let issuers = section.required("issuers", supply.issuers.as_deref())?;
            if issuers.is_empty() {
                return Err(SpecError::new("supply.issuers", "must list at least one key"));
            }
            let issuers = issuers
                .iter()
                .enumerate()
                .map(|(index, key)| {
                    parse_public_key(key)
                        .map_err(|e| SpecError::new(format!("supply.issuers[{index}]"), e))
                })
                .collect::<Checked<Vec<_>>>()?;
            let cap = supply
                .cap
                .as_deref()
                .map(|cap| non_negative_amount("supply.cap", cap, decimals))
                .transpose()?;
            Ok(SupplyPolicy::Issued { issuers, cap })
        }
        "basic_income" => {
            let amount = section.required("amount", supply.amount.as_deref())?;
            let income_period = section.required("period", supply.period.as_deref())?;
            Ok(SupplyPolicy::BasicIncome {
                amount: positive_amount("supply.amount", amount, decimals)?,
                period: period("supply.period", income_period)?,
            })
        }
        "mutual_credit" => {
            let credit_limit = section.required("credit_limit", supply.credit_limit.as_deref())?;
            Ok(SupplyPolicy::MutualCredit {
                credit_limit: non_negative_amount("supply.credit_limit", credit_limit, decimals)?,
                enforcement: choice(
                    "supply.enforcement",
                    supply.enforcement.as_deref(),
                    Enforcement::Hard,
                    &[("hard", Enforcement::Hard), ("soft", Enforcement::Soft)],
                )?,
            })
        }
        // `variant` has found the policy in SUPPLY_POLICIES, whose names are
        // the arms above; this arm is reached only if the two lists differ.
        other => Err(unknown_variant("supply.policy", other, "supply policy", SUPPLY_POLICIES)),
    }
}

fn declared_accounts(
    accounts: &[raw::Account],
    supply: &SupplyPolicy,
    decimals: u8,
) -> Checked<Vec<DeclaredAccount>> {
    if accounts.len() > DECLARED_ACCOUNTS_MAX {
        return Err(SpecError::new(
            "accounts",
            format!("has {} accounts; at most {DECLARED_ACCOUNTS_MAX}", accounts.len()),
        ));
    }
    let mut seen = BTreeSet::new();
    let mut opening_total = zero(decimals)?;
    let mut declared = Vec::with_capacity(accounts.len());

    for (index, account) in accounts.iter().enumerate() {
        let path = format!("accounts[{index}]");
        if !seen.insert(account.id) {
            return Err(SpecError::new(
                format!("{path}.id"),
                format!("account {} is declared twice", account.id),
            ));
        }
        let kind = AccountKind::from_name(&account.kind).ok_or_else(|| {
            SpecError::new(
                format!("{path}.kind"),
                format!("{:?} is not an account kind", account.kind),
            )
        })?;
        let owner = parse_public_key(&account.owner)
            .map_err(|e| SpecError::new(format!("{path}.owner"), e))?;
        let location =
            account.location.map(|at| location(&format!("{path}.location"), at)).transpose()?;
        let sectors = account
            .sectors
            .iter()
            .enumerate()
            .map(|(i, code)| {
                SectorCode::new(code)
                    .map_err(|e| SpecError::new(format!("{path}.sectors[{i}]"), e.to_string()))
            })
            .collect::<Checked<Vec<_>>>()?;
        let opening_balance = match &account.opening_balance {
            Some(text) => non_negative_amount(&format!("{path}.opening_balance"), text, decimals)?,
            None => zero(decimals)?,
        };

        if kind == AccountKind::Issuer {
            match supply {
                SupplyPolicy::Issued { issuers, .. } if issuers.contains(&owner) => {}
                SupplyPolicy::Issued { .. } => {
                    return Err(SpecError::new(
                        format!("{path}.owner"),
                        "an issuer account must be owned by a key in supply.issuers",
                    ));
                }
                _ => {
                    return Err(SpecError::new(
                        format!("{path}.kind"),
                        "issuer accounts exist only under the issued supply policy",
                    ));
                }
            }
        }
        if opening_balance.is_positive() && !matches!(supply, SupplyPolicy::Issued { .. }) {
            return Err(SpecError::new(
                format!("{path}.opening_balance"),
                "opening balances are issued money and need the issued supply policy",
            ));
        }
        opening_total = opening_total
            .checked_add(opening_balance)
            .map_err(|e| SpecError::new(format!("{path}.opening_balance"), e.to_string()))?;

        let name = match &account.name {
            Some(name) => text(&format!("{path}.name"), name)?,
            None => format!("account {}", account.id),
        };
        declared.push(DeclaredAccount {
            id: AccountId(account.id),
            name,
            kind,
            owner,
            location,
            sectors,
            opening_balance,
        });
    }

    if let SupplyPolicy::Issued { cap: Some(cap), .. } = supply
        && opening_total > *cap
    {
        return Err(SpecError::new(
            "supply.cap",
            format!("{cap} is below the {opening_total} issued as opening balances"),
        ));
    }
    Ok(declared)
}

/// The rule kinds a file may name, each with the fields it takes besides
/// `kind`, `name` and `exempt`, which every rule has.
const RULE_KINDS: &[(&str, &[&str])] = &[
    ("perimeter", &["area", "applies_to"]),
    ("demurrage", &["rate", "period", "step", "free_allowance", "rounding", "destination"]),
    ("sectors", &["mode", "codes", "direction", "reason"]),
    ("balance_ceiling", &["max"]),
    ("payment_max", &["max"]),
];

/// The fields of a rule that depend on its kind, each with whether the file
/// wrote it. The pattern names every field, so a field added to
/// [`raw::Rule`] does not compile until it is listed here too.
fn written_rule_fields(rule: &raw::Rule) -> [(&'static str, bool); 13] {
    let raw::Rule {
        kind: _,
        name: _,
        exempt: _,
        area,
        applies_to,
        rate,
        period,
        step,
        free_allowance,
        rounding,
        destination,
        mode,
        codes,
        direction,
        reason,
        max,
    } = rule;
    [
        ("area", area.is_some()),
        ("applies_to", applies_to.is_some()),
        ("rate", rate.is_some()),
        ("period", period.is_some()),
        ("step", step.is_some()),
        ("free_allowance", free_allowance.is_some()),
        ("rounding", rounding.is_some()),
        ("destination", destination.is_some()),
        ("mode", mode.is_some()),
        ("codes", codes.is_some()),
        ("direction", direction.is_some()),
        ("reason", reason.is_some()),
        ("max", max.is_some()),
    ]
}

fn rule(
    index: usize,
    rule: &raw::Rule,
    decimals: u8,
    accounts: &[DeclaredAccount],
) -> Checked<RuleSpec> {
    let path = format!("rules[{index}]");
    let kind_path = format!("{path}.kind");
    let (kind_name, fields) = variant(&kind_path, &rule.kind, "rule kind", RULE_KINDS)?;
    let section = Section { path, described: format!("a {kind_name} rule") };
    section.check_written(&written_rule_fields(rule), &["kind", "name", "exempt"], fields)?;

    let kind = match kind_name {
        "perimeter" => RuleKind::Perimeter(perimeter(&section, rule)?),
        "demurrage" => RuleKind::Demurrage(demurrage(&section, rule, decimals, accounts)?),
        "sectors" => RuleKind::Sectors(sectors(&section, rule)?),
        "balance_ceiling" => {
            let max = section.required("max", rule.max.as_deref())?;
            RuleKind::BalanceCeiling { max: positive_amount(&section.field("max"), max, decimals)? }
        }
        "payment_max" => {
            let max = section.required("max", rule.max.as_deref())?;
            RuleKind::PaymentMax { max: positive_amount(&section.field("max"), max, decimals)? }
        }
        // `variant` has found the kind in RULE_KINDS, whose names are the
        // arms above; this arm is reached only if the two lists differ.
        other => return Err(unknown_variant(&kind_path, other, "rule kind", RULE_KINDS)),
    };

    let name = match &rule.name {
        Some(name) => text(&section.field("name"), name)?,
        None => format!("{} #{index}", kind.name()),
    };
    let exempt_kinds = rule
        .exempt
        .kinds
        .iter()
        .enumerate()
        .map(|(i, kind)| {
            AccountKind::from_name(kind).ok_or_else(|| {
                SpecError::new(
                    format!("{}.exempt.kinds[{i}]", section.path),
                    format!("{kind:?} is not an account kind"),
                )
            })
        })
        .collect::<Checked<BTreeSet<_>>>()?;
    let exempt_accounts = rule.exempt.accounts.iter().copied().map(AccountId).collect();
    Ok(RuleSpec { name, exempt_kinds, exempt_accounts, kind })
}

/// Finds the variant a section's tag names (a rule's `kind`, the supply's
/// `policy`) among `variants`, with the fields it takes.
fn variant<'v>(
    path: &str,
    tag: &str,
    family: &str,
    variants: &[(&'v str, &'v [&'v str])],
) -> Checked<(&'v str, &'v [&'v str])> {
    variants
        .iter()
        .find(|(name, _)| *name == tag)
        .copied()
        .ok_or_else(|| unknown_variant(path, tag, family, variants))
}

fn unknown_variant(path: &str, tag: &str, family: &str, variants: &[(&str, &[&str])]) -> SpecError {
    let known: Vec<&str> = variants.iter().map(|(name, _)| *name).collect();
    SpecError::new(path, format!("{tag:?} is not a {family} (known: {})", known.join(", ")))
}

/// A rule or the supply section once its variant is known: the paths of its
/// fields, and the checks that its fields fit the variant.
struct Section {
    /// Where the section is, such as `rules[2]` or `supply`.
    path: String,
    /// The variant, for messages: "a demurrage rule", "the issued policy".
    described: String,
}

impl Section {
    fn field(&self, field: &str) -> String {
        format!("{}.{field}", self.path)
    }

    /// Refuses the first written field that the variant does not take.
    /// `common` lists the fields every variant takes, for the message.
    fn check_written(
        &self,
        written: &[(&str, bool)],
        common: &[&str],
        takes: &[&str],
    ) -> Checked<()> {
        let stray =
            written.iter().find(|(field, is_written)| *is_written && !takes.contains(field));
        match stray {
            Some((field, _)) => {
                let fields: Vec<&str> = common.iter().chain(takes).copied().collect();
                Err(SpecError::new(
                    self.field(field),
                    format!(
                        "is not a field of {} (its fields: {})",
                        self.described,
                        fields.join(", ")
                    ),
                ))
            }
            None => Ok(()),
        }
    }

    /// The value of a field the variant requires, or an error saying so.
    fn required<'v, T: ?Sized>(&self, field: &str, value: Option<&'v T>) -> Checked<&'v T> {
        value.ok_or_else(|| {
            SpecError::new(self.field(field), format!("is required for {}", self.described))
        })
    }
}

fn perimeter(section: &Section, rule: &raw::Rule) -> Checked<PerimeterSpec> {
    let raw_area = section.required("area", rule.area.as_ref())?;
    Ok(PerimeterSpec {
        area: area(&section.field("area"), raw_area)?,
        applies_to: choice(
            &section.field("applies_to"),
            rule.applies_to.as_deref(),
            Party::Both,
            &[("payer", Party::Payer), ("payee", Party::Payee), ("both", Party::Both)],
        )?,
    })
}

fn sectors(section: &Section, rule: &raw::Rule) -> Checked<SectorRuleSpec> {
    let mode = section.required("mode", rule.mode.as_deref())?;
    let codes = section.required("codes", rule.codes.as_deref())?;
    let reason = section.required("reason", rule.reason.as_deref())?;
    Ok(SectorRuleSpec {
        mode: choice(
            &section.field("mode"),
            Some(mode),
            SectorMode::Ban,
            &[("ban", SectorMode::Ban), ("allow", SectorMode::Allow)],
        )?,
        patterns: sector_patterns(&section.field("codes"), codes)?,
        direction: choice(
            &section.field("direction"),
            rule.direction.as_deref(),
            SectorDirection::PayingInto,
            &[
                ("paying_into", SectorDirection::PayingInto),
                ("receiving_from", SectorDirection::ReceivingFrom),
                ("both", SectorDirection::Both),
            ],
        )?,
        reason: text(&section.field("reason"), reason)?,
    })
}

/// Checks that need the whole list of rules: unique names, one demurrage.
fn check_rule_set(rules: &[RuleSpec]) -> Checked<()> {
    let mut names = BTreeSet::new();
    let mut demurrage_seen = false;
    for (index, rule) in rules.iter().enumerate() {
        if !names.insert(rule.name.as_str()) {
            return Err(SpecError::new(
                format!("rules[{index}].name"),
                format!("{:?} names two rules", rule.name),
            ));
        }
        if matches!(rule.kind, RuleKind::Demurrage(_)) {
            if demurrage_seen {
                return Err(SpecError::new(
                    format!("rules[{index}]"),
                    "a currency has at most one demurrage rule",
                ));
            }
            demurrage_seen = true;
        }
    }
    Ok(())
}

fn demurrage(
    section: &Section,
    rule: &raw::Rule,
    decimals: u8,
    accounts: &[DeclaredAccount],
) -> Checked<DemurrageSpec> {
    let rate_text = section.required("rate", rule.rate.as_deref())?;
    let rate_period = section.required("period", rule.period.as_deref())?;
    let destination = section.required("destination", rule.destination.as_ref())?;

    let rate_path = section.field("rate");
    let rate = parse_rate(rate_text).map_err(|e| SpecError::new(&rate_path, e))?;
    if rate <= Decimal::ZERO {
        return Err(SpecError::new(rate_path, format!("{rate_text:?} must be above zero")));
    }
    if rate >= Decimal::ONE {
        return Err(SpecError::new(
            rate_path,
            format!("{rate_text:?} must be below 100% per period"),
        ));
    }

    let rate_period = period(&section.field("period"), rate_period)?;
    let step_path = section.field("step");
    let step = match rule.step.as_deref() {
        None | Some("period") => rate_period,
        Some("minute") => period(&step_path, "1m")?,
        Some("hour") => period(&step_path, "1h")?,
        Some("day") => period(&step_path, "1d")?,
        Some(other) => {
            return Err(SpecError::new(
                step_path,
                format!("{other:?} is not one of minute, hour, day, period"),
            ));
        }
    };
    if !rate_period.seconds().is_multiple_of(step.seconds()) {
        return Err(SpecError::new(
            step_path,
            format!("a step of {step} does not divide the period {rate_period}"),
        ));
    }

    let free_allowance = match &rule.free_allowance {
        Some(text) => non_negative_amount(&section.field("free_allowance"), text, decimals)?,
        None => zero(decimals)?,
    };
    let rounding = choice(
        &section.field("rounding"),
        rule.rounding.as_deref(),
        MeltRounding::Down,
        &[("down", MeltRounding::Down), ("nearest", MeltRounding::Nearest)],
    )?;
    let destination = match destination {
        raw::Destination::Burn => MeltDestination::Burn,
        raw::Destination::Account(id) => {
            if !accounts.iter().any(|account| account.id == AccountId(*id)) {
                return Err(SpecError::new(
                    format!("{}.account", section.field("destination")),
                    format!("account {id} is not declared in accounts"),
                ));
            }
            MeltDestination::Account(AccountId(*id))
        }
    };
    Ok(DemurrageSpec { rate, period: rate_period, step, free_allowance, rounding, destination })
}

fn sector_patterns(path: &str, codes: &[String]) -> Checked<Vec<SectorPattern>> {
    if codes.is_empty() {
        return Err(SpecError::new(path, "must list at least one code"));
    }
    codes
        .iter()
        .enumerate()
        .map(|(index, code)| {
            let entry = format!("{path}[{index}]");
            match code.split_once('-') {
                Some((low, high)) => {
                    let number = |part: &str| -> Checked<u32> {
                        if part.is_empty() || !part.bytes().all(|b| b.is_ascii_digit()) {
                            return Err(SpecError::new(
                                &entry,
                                format!(
                                    "{code:?} is not a range of numeric codes such as 5000-5599"
                                ),
                            ));
                        }
                        part.parse().map_err(|_| {
                            SpecError::new(&entry, format!("{code:?} has a code too large"))
                        })
                    };
                    let (low, high) = (number(low)?, number(high)?);
                    if low > high {
                        return Err(SpecError::new(
                            &entry,
                            format!("range {code:?} runs backwards"),
                        ));
                    }
                    Ok(SectorPattern::Range { low, high })
                }
                None => SectorCode::new(code)
                    .map(SectorPattern::Prefix)
                    .map_err(|e| SpecError::new(&entry, e.to_string())),
            }
        })
        .collect()
}

fn area(path: &str, area: &raw::Area) -> Checked<AreaSpec> {
    match area {
        raw::Area::Circle { center, radius_km } => {
            let center = location(&format!("{path}.circle.center"), *center)?;
            if !(radius_km.is_finite() && *radius_km > 0.0) {
                return Err(SpecError::new(
                    format!("{path}.circle.radius_km"),
                    format!("{radius_km} must be a positive number of kilometres"),
                ));
            }
            Ok(AreaSpec::Circle { center, radius_km: *radius_km })
        }
        raw::Area::Geojson(geometry) => {
            let path = format!("{path}.geojson");
            let polygons = match (geometry.kind.as_str(), &geometry.coordinates) {
                ("Polygon", raw::Coordinates::Polygon(rings)) => {
                    return Ok(AreaSpec::Polygon(polygon(&format!("{path}.coordinates"), rings)?));
                }
                ("MultiPolygon", raw::Coordinates::MultiPolygon(polygons)) => polygons
                    .iter()
                    .enumerate()
                    .map(|(index, rings)| polygon(&format!("{path}.coordinates[{index}]"), rings))
                    .collect::<Checked<Vec<_>>>()?,
                ("Polygon" | "MultiPolygon", _) => {
                    return Err(SpecError::new(
                        format!("{path}.coordinates"),
                        format!("do not have the nesting a {} needs", geometry.kind),
                    ));
                }
                (other, _) => {
                    return Err(SpecError::new(
                        format!("{path}.type"),
                        format!("{other:?} is not Polygon or MultiPolygon"),
                    ));
                }
            };
            if polygons.is_empty() {
                return Err(SpecError::new(
                    format!("{path}.coordinates"),
                    "must hold at least one polygon",
                ));
            }
            Ok(AreaSpec::MultiPolygon(polygons))
        }
        raw::Area::Geohash(cells) => {
            if cells.is_empty() {
                return Err(SpecError::new(
                    format!("{path}.geohash"),
                    "must list at least one cell",
                ));
            }
            for (index, cell) in cells.iter().enumerate() {
                let valid = (1..=12).contains(&cell.len())
                    && cell.bytes().all(|b| b"0123456789bcdefghjkmnpqrstuvwxyz".contains(&b));
                if !valid {
                    return Err(SpecError::new(
                        format!("{path}.geohash[{index}]"),
                        format!("{cell:?} is not a geohash cell (1 to 12 base-32 characters)"),
                    ));
                }
            }
            Ok(AreaSpec::Geohash(cells.clone()))
        }
    }
}

/// Checks one GeoJSON polygon: rings of `[longitude, latitude]` positions,
/// closed or not, each with at least three distinct points.
fn polygon(path: &str, rings: &[Vec<[f64; 2]>]) -> Checked<PolygonSpec> {
    let mut checked = Vec::with_capacity(rings.len());
    for (ring_index, ring) in rings.iter().enumerate() {
        let ring_path = format!("{path}[{ring_index}]");
        let mut points = ring
            .iter()
            .enumerate()
            .map(|(i, &position)| geojson_position(&format!("{ring_path}[{i}]"), position))
            .collect::<Checked<Vec<_>>>()?;
        if points.len() > 1 && points.first() == points.last() {
            points.pop();
        }
        let mut distinct: Vec<Location> = Vec::with_capacity(points.len());
        for point in &points {
            if !distinct.contains(point) {
                distinct.push(*point);
            }
        }
        if distinct.len() < 3 {
            return Err(SpecError::new(
                ring_path,
                format!("has {} distinct points; a ring needs at least 3", distinct.len()),
            ));
        }
        checked.push(points);
    }
    let mut rings = checked.into_iter();
    let exterior =
        rings.next().ok_or_else(|| SpecError::new(path, "must hold an exterior ring"))?;
    Ok(PolygonSpec { exterior, holes: rings.collect() })
}

fn exchange_link(
    path: &str,
    link: &raw::ExchangeLink,
    own: CurrencyCode,
    decimals: u8,
) -> Checked<ExchangeLinkSpec> {
    let to = CurrencyCode::new(&link.to)
        .map_err(|e| SpecError::new(format!("{path}.to"), e.to_string()))?;
    if to == own {
        return Err(SpecError::new(format!("{path}.to"), "a currency cannot link to itself"));
    }
    let rate_path = format!("{path}.rate");
    let rate = parse_rate(&link.rate).map_err(|e| SpecError::new(&rate_path, e))?;
    if rate <= Decimal::ZERO {
        return Err(SpecError::new(rate_path, format!("{:?} must be above zero", link.rate)));
    }
    let fee_path = format!("{path}.fee");
    let fee = match &link.fee {
        Some(fee_text) => {
            let fee = parse_rate(fee_text).map_err(|e| SpecError::new(&fee_path, e))?;
            if fee < Decimal::ZERO || fee >= Decimal::ONE {
                return Err(SpecError::new(
                    fee_path,
                    format!("{fee_text:?} must be at least 0 and below 100%"),
                ));
            }
            fee
        }
        None => Decimal::ZERO,
    };
    let direction = choice(
        &format!("{path}.direction"),
        link.direction.as_deref(),
        LinkDirection::Both,
        &[("out", LinkDirection::Out), ("in", LinkDirection::In), ("both", LinkDirection::Both)],
    )?;
    let max_per_payment = link
        .max_per_payment
        .as_deref()
        .map(|max| positive_amount(&format!("{path}.max_per_payment"), max, decimals))
        .transpose()?;
    let max_per_period = match (&link.max_per_period, &link.cap_period) {
        (Some(max), Some(cap_period)) => Some((
            positive_amount(&format!("{path}.max_per_period"), max, decimals)?,
            period(&format!("{path}.cap_period"), cap_period)?,
        )),
        (None, None) => None,
        (Some(_), None) => {
            return Err(SpecError::new(
                format!("{path}.cap_period"),
                "is needed with max_per_period",
            ));
        }
        (None, Some(_)) => {
            return Err(SpecError::new(
                format!("{path}.max_per_period"),
                "is needed with cap_period",
            ));
        }
    };
    Ok(ExchangeLinkSpec { to, rate, fee, direction, max_per_payment, max_per_period })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The kind tables and the `match` in `rule` and `supply` are written
    /// separately; a name in a table that no arm handles would reach the
    /// fallback arm and be refused as unknown. A bare section of each kind
    /// must instead be refused for a missing field (every kind requires one).
    #[test]
    fn every_listed_kind_and_policy_has_an_arm() {
        for &(kind, _) in RULE_KINDS {
            let bare = raw::Rule { kind: kind.to_owned(), ..raw::Rule::default() };
            let error = rule(0, &bare, 2, &[]).err();
            let problem = error.map(|error| error.problem).unwrap_or_default();
            assert!(problem.starts_with("is required for a"), "{kind}: {problem:?}");
        }
        for &(policy, _) in SUPPLY_POLICIES {
            let bare = raw::Supply { policy: policy.to_owned(), ..raw::Supply::default() };
            let error = supply(&bare, 2).err();
            let problem = error.map(|error| error.problem).unwrap_or_default();
            assert!(problem.starts_with("is required for the"), "{policy}: {problem:?}");
        }
    }

    #[test]
    fn names_are_limited_in_bytes_not_characters() {
        assert_eq!(text("name", &"x".repeat(200)), Ok("x".repeat(200)));
        let error = text("name", &"x".repeat(201)).unwrap_err();
        assert_eq!(error.problem, "is 201 bytes long; at most 200 are accepted");
        // 100 two-byte characters are 200 bytes; one more is 202.
        assert!(text("name", &"é".repeat(100)).is_ok());
        assert!(text("name", &"é".repeat(101)).is_err());
    }

    /// Every field a table lists exists in the raw struct, so no kind is
    /// promised a field the file could not hold; and every field of the raw
    /// struct belongs to some kind, so none is accepted by serde and then
    /// refused for every kind.
    #[test]
    fn the_tables_name_exactly_the_raw_fields() {
        let rule_fields: BTreeSet<&str> =
            written_rule_fields(&raw::Rule::default()).iter().map(|(name, _)| *name).collect();
        let listed: BTreeSet<&str> =
            RULE_KINDS.iter().flat_map(|(_, fields)| fields.iter().copied()).collect();
        assert_eq!(listed, rule_fields);

        let supply_fields: BTreeSet<&str> =
            written_supply_fields(&raw::Supply::default()).iter().map(|(name, _)| *name).collect();
        let listed: BTreeSet<&str> =
            SUPPLY_POLICIES.iter().flat_map(|(_, fields)| fields.iter().copied()).collect();
        assert_eq!(listed, supply_fields);
    }
}
