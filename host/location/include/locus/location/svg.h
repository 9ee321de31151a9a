// locus/location/svg.h: an SVG picture of a location verdict (`locus verifier explain`).
//
// Equirectangular projection centred on the feasible region (or on the landmarks when the
// region is empty), scaled by cos(latitude) so that shapes near the centre keep their
// proportions. Draws: approved zones (green), forbidden regions (red), every landmark disc
// (blue circle outline), the feasible region (orange; its boundary computed here from the
// verdict's discs by region_outline()), landmarks (triangles with ids), a lat/lon grid with
// labels, a scale bar and the verdict with its reasons.
#pragma once

#include <string>

#include "locus/location/location.h"

namespace locus::location {

std::string render_svg(const LocationVerdict& v, const LocationPolicy& p, const std::string& title);

}  // namespace locus::location
