// locus/location/geojson.h: GeoJSON (RFC 7946) areas for location policies.
//
// Accepted: Polygon, MultiPolygon, Feature (its properties.name names the zone) and
// FeatureCollection of those. A Polygon or a MultiPolygon is ONE zone: the union of its
// polygons, so an area cut at the antimeridian (§3.1.9) stays one area. Positions are
// [lon, lat] or [lon, lat, altitude] (altitude ignored); rings are closed, >= 4 positions;
// edges are straight lines in (lon, lat). Errors name the cause (not JSON, unsupported type,
// ring not closed, too few positions, position not numbers, out of range, an edge wider than
// 180° of longitude).
#pragma once

#include <string>
#include <vector>

#include "locus/common/common.h"
#include "locus/location/geo.h"

namespace locus::location {

// Parses GeoJSON text. `name` names the zones: a Feature's "name" property wins; several
// zones from one text get "#k" appended (k = 0, 1, ...). Errors are kConfig.
host::HostResult<std::vector<Zone>> parse_geojson(const std::string& text, const std::string& name);

}  // namespace locus::location
