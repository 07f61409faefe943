//! Some mistakes in a currency file pass the loader, because finding them
//! needs geometry or the other currencies of a constellation, and must be
//! caught when the file is compiled into a rule set or added to a ledger: a
//! polygon whose ring crosses itself, a hole that lies outside its polygon,
//! a demurrage rate too small to compound in 28 digits, an exchange link to
//! a currency that does not exist. A spec built in code skips the loader, so
//! compiling also refuses what the loader would have: here, a second
//! demurrage rule. Each must be refused with a `SpecError`
//! whose path points at the offending part of the file (read here from the
//! file text, counting rules and polygons by hand) and whose problem says
//! what is wrong.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use opencoin_core::{CurrencyCode, CurrencySpec, SpecError};
use opencoin_rules::{RuleSet, check_exchange_links};

const HEAD: &str = r#"
code = "VLG"
name = "Village"
decimals = 2
supply = { policy = "mutual_credit", credit_limit = "100.00" }
"#;

/// A first rule that compiles, so that the broken rule is `rules[1]`.
const HARMLESS_RULE: &str = r#"
[[rules]]
kind = "payment_max"
max = "50.00"
"#;

/// Loads the file (which must succeed) and compiles it (which must not).
fn compile_error(body: &str) -> SpecError {
    let text = format!("{HEAD}{body}");
    let spec = CurrencySpec::from_toml_str(&text).unwrap_or_else(|error| panic!("{error}\n{text}"));
    RuleSet::compile(&spec).unwrap_err()
}

#[test]
fn bow_tie_polygon() {
    // GeoJSON positions are [longitude, latitude]. Going (6,46) (7,47)
    // (7,46) (6,47) draws two triangles meeting at (6.5, 46.5): the ring
    // crosses itself. In a Polygon, coordinates is the list of rings and
    // the problem text names the ring (the exterior).
    let error = compile_error(&format!(
        r#"{HARMLESS_RULE}
[[rules]]
kind = "perimeter"
area = {{ geojson = {{ type = "Polygon", coordinates = [
    [[6.0, 46.0], [7.0, 47.0], [7.0, 46.0], [6.0, 47.0]],
] }} }}
"#
    ));
    assert_eq!(error.path, "rules[1].area.geojson.coordinates");
    assert!(error.problem.contains("exterior"), "{error}");
    assert!(error.problem.contains("self-intersection"), "{error}");
}

#[test]
fn hole_outside_its_polygon() {
    // The second polygon of the multipolygon (coordinates[1]) is the square
    // 6..7 E, 46..47 N with a "hole" at 8..8.2 E, well east of it.
    let error = compile_error(
        r#"
[[rules]]
kind = "perimeter"
area = { geojson = { type = "MultiPolygon", coordinates = [
    [[[0.0, 40.0], [1.0, 40.0], [1.0, 41.0], [0.0, 41.0]]],
    [
        [[6.0, 46.0], [7.0, 46.0], [7.0, 47.0], [6.0, 47.0]],
        [[8.0, 46.4], [8.2, 46.4], [8.2, 46.6], [8.0, 46.6]],
    ],
] } }
"#,
    );
    assert_eq!(error.path, "rules[0].area.geojson.coordinates[1]");
    assert!(error.problem.contains("interior ring"), "{error}");
    assert!(error.problem.contains("exterior"), "{error}");
}

#[test]
fn hole_outside_a_single_polygon() {
    // The same mistake in a plain Polygon. Its rings are coordinates[0]
    // (exterior) and coordinates[1] (the hole); the path ends at the list
    // of rings and the problem text names the hole ("interior ring at index
    // 0", the first hole).
    let error = compile_error(
        r#"
[[rules]]
kind = "perimeter"
area = { geojson = { type = "Polygon", coordinates = [
    [[6.0, 46.0], [7.0, 46.0], [7.0, 47.0], [6.0, 47.0]],
    [[8.0, 46.4], [8.2, 46.4], [8.2, 46.6], [8.0, 46.6]],
] } }
"#,
    );
    assert_eq!(error.path, "rules[0].area.geojson.coordinates");
    assert!(error.problem.contains("interior ring at index 0"), "{error}");
}

#[test]
fn rate_too_small_to_compound() {
    // 10^-28 per year (the smallest rate a Decimal can hold) compounded
    // every minute is 10^-28 / 525600 per step, which rounds to zero in 28
    // decimal places: the per-step factor would be exactly one, and the
    // rule would never melt anything.
    let error = compile_error(
        r#"
[[rules]]
kind = "demurrage"
rate = "0.0000000000000000000000000001"
period = "1y"
step = "minute"
destination = "burn"
"#,
    );
    assert_eq!(error.path, "rules[0].rate");
}

#[test]
fn second_demurrage_rule_built_in_code() {
    // The loader refuses a file with two demurrage rules; a spec changed in
    // code after loading must be refused when compiled, at the second rule
    // (rules[2], after the harmless rule and the first demurrage rule).
    let text = format!(
        r#"{HEAD}{HARMLESS_RULE}
[[rules]]
kind = "demurrage"
rate = "2%"
period = "90d"
destination = "burn"
"#
    );
    let mut spec = CurrencySpec::from_toml_str(&text).unwrap();
    assert!(RuleSet::compile(&spec).is_ok());
    spec.rules.push(spec.rules[1].clone());

    let error = RuleSet::compile(&spec).unwrap_err();
    assert_eq!(error.path, "rules[2]");
    assert!(error.problem.contains("second demurrage rule"), "{error}");
}

#[test]
fn exchange_link_to_an_unknown_currency() {
    let text = format!(
        r#"{HEAD}
[[exchange_links]]
to = "EUR"
rate = "1"

[[exchange_links]]
to = "TIME"
rate = "0.05"
"#
    );
    let spec = CurrencySpec::from_toml_str(&text).unwrap();
    let code = |text| CurrencyCode::new(text).unwrap();

    // Only EUR is known: the second link, to TIME, is the one at fault.
    let known = [code("VLG"), code("EUR")];
    let error = check_exchange_links(&spec, |to| known.contains(&to)).unwrap_err();
    assert_eq!(error.path, "exchange_links[1].to");
    assert!(error.problem.contains("TIME"), "{error}");

    // Nothing known: the first link is reported.
    let error = check_exchange_links(&spec, |_| false).unwrap_err();
    assert_eq!(error.path, "exchange_links[0].to");
    assert!(error.problem.contains("EUR"), "{error}");
    assert!(error.to_string().starts_with("exchange_links[0].to: "), "{error}");

    // Every target known: the constellation closes.
    let known = [code("EUR"), code("TIME")];
    assert_eq!(check_exchange_links(&spec, |to| known.contains(&to)), Ok(()));
}
