//! Geographic perimeters compiled into geometry.
//!
//! Containment is decided when an account is opened or moved, never per
//! payment, so the cost of a polygon test does not matter on the hot path.
//! Coordinates are `f64` because geometry needs them; no money passes here.

#![allow(clippy::float_arithmetic)]

use geo::{
    Contains, Distance, Haversine, LineString, MultiPolygon, Point, Polygon, Rect, Validation,
};
use opencoin_core::spec::{AreaSpec, PolygonSpec};
use opencoin_core::{Location, SpecError};

/// An area ready for containment tests.
#[derive(Debug, Clone)]
pub enum CompiledArea {
    /// Within `radius_m` metres (great circle, mean Earth radius) of `center`.
    Circle {
        /// The centre as (longitude, latitude).
        center: Point<f64>,
        /// The radius in metres.
        radius_m: f64,
    },
    /// Inside any of the polygons (holes excluded). A point exactly on an
    /// edge counts as outside, as `geo`'s `Contains` defines it.
    Polygons(MultiPolygon<f64>),
    /// Inside any of the geohash cells' rectangles, edges included.
    Cells(Vec<Rect<f64>>),
}

impl CompiledArea {
    /// Builds the geometry for an area, checking what the file loader could
    /// not: polygons must not cross themselves, holes must lie inside.
    ///
    /// # Errors
    ///
    /// [`SpecError`] at `path` (the rule's `area` field) for an invalid
    /// polygon or geohash cell.
    pub fn compile(path: &str, area: &AreaSpec) -> Result<CompiledArea, SpecError> {
        match area {
            AreaSpec::Circle { center, radius_km } => {
                Ok(CompiledArea::Circle { center: point(*center), radius_m: radius_km * 1_000.0 })
            }
            AreaSpec::Polygon(spec) => {
                // The geometry's own message names the ring (exterior or
                // interior ring n), which is `coordinates[n]` in the file.
                let polygon = valid_polygon(&format!("{path}.geojson.coordinates"), spec)?;
                Ok(CompiledArea::Polygons(MultiPolygon::new(vec![polygon])))
            }
            AreaSpec::MultiPolygon(polygons) => {
                let compiled = polygons
                    .iter()
                    .enumerate()
                    .map(|(index, spec)| {
                        valid_polygon(&format!("{path}.geojson.coordinates[{index}]"), spec)
                    })
                    .collect::<Result<Vec<_>, SpecError>>()?;
                Ok(CompiledArea::Polygons(MultiPolygon::new(compiled)))
            }
            AreaSpec::Geohash(cells) => {
                let rects = cells
                    .iter()
                    .enumerate()
                    .map(|(index, cell)| {
                        geohash::decode_bbox(cell).map_err(|problem| {
                            SpecError::new(
                                format!("{path}.geohash[{index}]"),
                                format!("{cell:?} is not a geohash cell: {problem}"),
                            )
                        })
                    })
                    .collect::<Result<Vec<_>, SpecError>>()?;
                Ok(CompiledArea::Cells(rects))
            }
        }
    }

    /// True if `location` is inside the area.
    pub fn contains(&self, location: Location) -> bool {
        let here = point(location);
        match self {
            CompiledArea::Circle { center, radius_m } => {
                Haversine.distance(*center, here) <= *radius_m
            }
            CompiledArea::Polygons(polygons) => polygons.contains(&here),
            CompiledArea::Cells(rects) => rects.iter().any(|rect| {
                let (min, max) = (rect.min(), rect.max());
                (min.x..=max.x).contains(&here.x()) && (min.y..=max.y).contains(&here.y())
            }),
        }
    }
}

/// Builds a polygon and checks it with `geo`'s validation: rings must not
/// cross themselves or each other, and holes must lie inside the outline.
fn valid_polygon(path: &str, spec: &PolygonSpec) -> Result<Polygon<f64>, SpecError> {
    let polygon = polygon(spec);
    polygon
        .check_validation()
        .map_err(|problem| SpecError::new(path, format!("is not a valid polygon: {problem}")))?;
    Ok(polygon)
}

fn point(location: Location) -> Point<f64> {
    Point::new(location.longitude(), location.latitude())
}

fn ring(points: &[Location]) -> LineString<f64> {
    // `LineString::from` does not close the ring; `Polygon::new` does.
    points.iter().map(|location| (location.longitude(), location.latitude())).collect()
}

fn polygon(spec: &PolygonSpec) -> Polygon<f64> {
    Polygon::new(ring(&spec.exterior), spec.holes.iter().map(|hole| ring(hole)).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(latitude: f64, longitude: f64) -> Location {
        Location::new(latitude, longitude).unwrap()
    }

    fn square(south: f64, west: f64, size: f64) -> Vec<Location> {
        vec![
            at(south, west),
            at(south, west + size),
            at(south + size, west + size),
            at(south + size, west),
        ]
    }

    #[test]
    fn polygon_with_hole() {
        let spec = AreaSpec::Polygon(PolygonSpec {
            exterior: square(46.0, 6.0, 1.0),
            holes: vec![square(46.4, 6.4, 0.2)],
        });
        let area = CompiledArea::compile("area", &spec).unwrap();
        assert!(area.contains(at(46.1, 6.1)));
        assert!(!area.contains(at(46.5, 6.5)), "inside the hole");
        assert!(!area.contains(at(47.5, 6.5)), "outside the exterior");
    }

    #[test]
    fn bow_tie_is_refused() {
        // The ring (0,0) (1,1) (1,0) (0,1) crosses itself at (0.5, 0.5).
        let spec = AreaSpec::MultiPolygon(vec![PolygonSpec {
            exterior: vec![at(0.0, 0.0), at(1.0, 1.0), at(0.0, 1.0), at(1.0, 0.0)],
            holes: vec![],
        }]);
        let error = CompiledArea::compile("rules[0].area", &spec).unwrap_err();
        assert_eq!(error.path, "rules[0].area.geojson.coordinates[0]");
        assert!(error.problem.contains("self-intersection"), "{}", error.problem);
    }

    #[test]
    fn circle_uses_great_circle_distance() {
        // One degree of latitude is about 111.2 km on a sphere of radius
        // 6,371 km (2 * pi * 6371 / 360 = 111.19), so a point 1 degree north
        // is inside a 112 km circle and outside a 110 km one.
        let center = at(46.0, 6.0);
        let inside = CompiledArea::compile("a", &AreaSpec::Circle { center, radius_km: 112.0 });
        let outside = CompiledArea::compile("a", &AreaSpec::Circle { center, radius_km: 110.0 });
        assert!(inside.unwrap().contains(at(47.0, 6.0)));
        assert!(!outside.unwrap().contains(at(47.0, 6.0)));
    }

    #[test]
    fn geohash_cells() {
        // "u0k" is the bits 11010 00000 10010. Longitude takes the even
        // bits (1,0,0,0,0,1,0,0): halving -180..180 gives 5.625..7.03125.
        // Latitude takes the odd bits (1,1,0,0,0,0,1): halving -90..90 gives
        // 46.40625..47.8125.
        let area = CompiledArea::compile("a", &AreaSpec::Geohash(vec!["u0k".into()])).unwrap();
        assert!(area.contains(at(46.5, 6.0)));
        assert!(area.contains(at(47.8, 7.0)));
        assert!(!area.contains(at(46.3, 6.0)), "south of the cell");
        assert!(!area.contains(at(46.5, 7.1)), "east of the cell");
    }
}
