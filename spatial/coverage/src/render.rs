//! The map image of the coverage report, drawn with `tiny-skia` and encoded as PNG.
//!
//! Sea light blue, land cells (see [`crate::products`] for land and sea) sand, town areas
//! and the district dashed; each camera's visible
//! polygon translucent green with the camera as a dark dot; covered coastline green and
//! uncovered red; risk points green when covered, red when not; suggestions orange: their
//! sector dashed and a star at the site. The projection is equirectangular around the
//! map's middle latitude (true distances east–west and north–south at that latitude). The
//! image has no text: the HTML report carries the legend.

use geo::{LineString, MultiPolygon, Polygon};
use tiny_skia::{
    Color, FillRule, LineCap, LineJoin, Paint, PathBuilder, Pixmap, Stroke, StrokeDash, Transform,
};

use super::products::{Products, sector};
use super::report::cell_polygon;
use super::{CoverageError, CoverageResult, Scene, Suggestion};

/// Colours of the map, as RGBA.
mod colour {
    pub const SEA: [u8; 4] = [207, 230, 243, 255];
    pub const LAND: [u8; 4] = [239, 233, 214, 255];
    pub const LAND_EDGE: [u8; 4] = [184, 171, 136, 255];
    pub const DISTRICT: [u8; 4] = [90, 90, 90, 255];
    pub const VIEW: [u8; 4] = [46, 160, 90, 70];
    pub const VIEW_EDGE: [u8; 4] = [30, 120, 65, 160];
    pub const CAMERA: [u8; 4] = [20, 40, 90, 255];
    pub const COVERED: [u8; 4] = [26, 150, 65, 255];
    pub const UNCOVERED: [u8; 4] = [215, 25, 28, 255];
    pub const SUGGESTED: [u8; 4] = [245, 140, 20, 255];
    pub const SUGGESTED_VIEW: [u8; 4] = [245, 140, 20, 60];
    pub const OUTLINE: [u8; 4] = [255, 255, 255, 255];
    pub const DARK: [u8; 4] = [40, 40, 40, 255];
}

/// Lon/lat to pixels.
struct View {
    lon0: f64,
    lat1: f64,
    px_per_deg_lon: f64,
    px_per_deg_lat: f64,
}

impl View {
    fn px(&self, lon: f64, lat: f64) -> (f32, f32) {
        (
            ((lon - self.lon0) * self.px_per_deg_lon) as f32,
            ((self.lat1 - lat) * self.px_per_deg_lat) as f32,
        )
    }
}

fn paint(rgba: [u8; 4]) -> Paint<'static> {
    let mut paint = Paint::default();
    paint.set_color_rgba8(rgba[0], rgba[1], rgba[2], rgba[3]);
    paint.anti_alias = true;
    paint
}

fn stroke(width: f32, dash: Option<(f32, f32)>) -> Stroke {
    Stroke {
        width,
        line_cap: LineCap::Round,
        line_join: LineJoin::Round,
        dash: dash.and_then(|(on, off)| StrokeDash::new(vec![on, off], 0.0)),
        ..Stroke::default()
    }
}

struct Canvas {
    pixmap: Pixmap,
    view: View,
}

impl Canvas {
    fn ring(&self, builder: &mut PathBuilder, ring: &LineString) {
        for (i, c) in ring.0.iter().enumerate() {
            let (x, y) = self.view.px(c.x, c.y);
            if i == 0 {
                builder.move_to(x, y);
            } else {
                builder.line_to(x, y);
            }
        }
        builder.close();
    }

    fn polygons(
        &mut self,
        shape: &MultiPolygon,
        fill: [u8; 4],
        edge: Option<([u8; 4], f32, bool)>,
    ) {
        let mut builder = PathBuilder::new();
        for polygon in &shape.0 {
            self.ring(&mut builder, polygon.exterior());
            for hole in polygon.interiors() {
                self.ring(&mut builder, hole);
            }
        }
        let Some(path) = builder.finish() else { return };
        if fill[3] > 0 {
            self.pixmap.fill_path(
                &path,
                &paint(fill),
                FillRule::EvenOdd,
                Transform::identity(),
                None,
            );
        }
        if let Some((rgba, width, dashed)) = edge {
            let dash = dashed.then_some((6.0, 4.0));
            self.pixmap.stroke_path(
                &path,
                &paint(rgba),
                &stroke(width, dash),
                Transform::identity(),
                None,
            );
        }
    }

    /// Fills the land cells, without anti-aliasing so that neighbours leave no seams.
    fn land(&mut self, products: &Products) {
        let mut builder = PathBuilder::new();
        for cell in products.cells.iter().filter(|c| !c.sea) {
            self.ring(&mut builder, cell_polygon(cell.cell).exterior());
        }
        let Some(path) = builder.finish() else { return };
        let mut fill = paint(colour::LAND);
        fill.anti_alias = false;
        self.pixmap
            .fill_path(&path, &fill, FillRule::Winding, Transform::identity(), None);
    }

    fn polygon(&mut self, shape: &Polygon, fill: [u8; 4], edge: Option<([u8; 4], f32, bool)>) {
        self.polygons(&MultiPolygon(vec![shape.clone()]), fill, edge);
    }

    fn lines<'a>(
        &mut self,
        lines: impl IntoIterator<Item = &'a LineString>,
        rgba: [u8; 4],
        width: f32,
    ) {
        let mut builder = PathBuilder::new();
        for line in lines {
            for (i, c) in line.0.iter().enumerate() {
                let (x, y) = self.view.px(c.x, c.y);
                if i == 0 {
                    builder.move_to(x, y);
                } else {
                    builder.line_to(x, y);
                }
            }
        }
        let Some(path) = builder.finish() else { return };
        self.pixmap.stroke_path(
            &path,
            &paint(rgba),
            &stroke(width, None),
            Transform::identity(),
            None,
        );
    }

    fn dot(&mut self, lon: f64, lat: f64, radius: f32, fill: [u8; 4], edge: [u8; 4]) {
        let (x, y) = self.view.px(lon, lat);
        let Some(path) = PathBuilder::from_circle(x, y, radius) else {
            return;
        };
        self.pixmap.fill_path(
            &path,
            &paint(fill),
            FillRule::Winding,
            Transform::identity(),
            None,
        );
        self.pixmap.stroke_path(
            &path,
            &paint(edge),
            &stroke(1.5, None),
            Transform::identity(),
            None,
        );
    }

    fn star(&mut self, lon: f64, lat: f64, radius: f32) {
        let (cx, cy) = self.view.px(lon, lat);
        let mut builder = PathBuilder::new();
        for k in 0..10 {
            let r = if k % 2 == 0 { radius } else { radius * 0.45 };
            let a = std::f32::consts::PI * k as f32 / 5.0;
            let (x, y) = (cx + r * a.sin(), cy - r * a.cos());
            if k == 0 {
                builder.move_to(x, y);
            } else {
                builder.line_to(x, y);
            }
        }
        builder.close();
        let Some(path) = builder.finish() else { return };
        self.pixmap.fill_path(
            &path,
            &paint(colour::SUGGESTED),
            FillRule::Winding,
            Transform::identity(),
            None,
        );
        self.pixmap.stroke_path(
            &path,
            &paint(colour::DARK),
            &stroke(1.2, None),
            Transform::identity(),
            None,
        );
    }

    /// A scale bar in the lower left corner: a round number of kilometres, ticked per km.
    fn scale_bar(&mut self, km_per_px: f64) {
        let height = self.pixmap.height() as f32;
        let km = bar_km(km_per_px);
        let length = (km / km_per_px) as f32;
        let (x0, y0) = (16.0, height - 16.0);
        let mut builder = PathBuilder::new();
        builder.move_to(x0, y0);
        builder.line_to(x0 + length, y0);
        let ticks = if km <= 10.0 { km as usize } else { 2 };
        for k in 0..=ticks {
            let x = x0 + length * k as f32 / ticks as f32;
            builder.move_to(x, y0);
            builder.line_to(x, y0 - 6.0);
        }
        if let Some(path) = builder.finish() {
            self.pixmap.stroke_path(
                &path,
                &paint(colour::DARK),
                &stroke(2.0, None),
                Transform::identity(),
                None,
            );
        }
    }
}

/// A round length for the scale bar, about 150 pixels long (km).
fn bar_km(km_per_px: f64) -> f64 {
    [1.0, 2.0, 5.0, 10.0, 20.0, 50.0, 100.0, 200.0, 500.0]
        .into_iter()
        .rfind(|k| *k <= km_per_px * 150.0)
        .unwrap_or(1.0)
}

/// Kilometres a pixel spans east–west on a map of `bbox` `width_px` wide.
fn km_per_px(bbox: [f64; 4], width_px: u32) -> f64 {
    let cos = ((bbox[1] + bbox[3]) / 2.0).to_radians().cos().max(0.01);
    (bbox[2] - bbox[0]) * coastwatch_core::geodesy::EARTH_RADIUS_M.to_radians() * cos
        / 1000.0
        / f64::from(width_px)
}

/// The length of the scale bar that [`render_map`] draws on a map `width_px` wide (km),
/// for the legend.
pub fn scale_bar_km(scene: &Scene, products: &Products, width_px: u32) -> f64 {
    let width_px = width_px.clamp(100, 4000);
    let (bbox, _) = frame(products, scene, width_px);
    bar_km(km_per_px(bbox, width_px))
}

/// The map's bounding box (with a margin) and its height in pixels.
fn frame(products: &Products, scene: &Scene, width_px: u32) -> ([f64; 4], u32) {
    let mut bbox = products.summary.bbox;
    if !(bbox[2] > bbox[0] && bbox[3] > bbox[1]) {
        bbox = scene.extent().unwrap_or([121.4, 29.45, 121.8, 29.7]);
    }
    if !(bbox[2] > bbox[0] && bbox[3] > bbox[1]) {
        bbox = [
            bbox[0] - 0.01,
            bbox[1] - 0.01,
            bbox[2] + 0.01,
            bbox[3] + 0.01,
        ];
    }
    let (mx, my) = ((bbox[2] - bbox[0]) * 0.03, (bbox[3] - bbox[1]) * 0.03);
    let bbox = [bbox[0] - mx, bbox[1] - my, bbox[2] + mx, bbox[3] + my];
    let cos = ((bbox[1] + bbox[3]) / 2.0).to_radians().cos().max(0.01);
    let aspect = (bbox[3] - bbox[1]) / ((bbox[2] - bbox[0]) * cos);
    let height = (f64::from(width_px) * aspect).round().clamp(100.0, 4000.0) as u32;
    (bbox, height)
}

/// Draws the coverage map of `products` with `suggestions`, `width_px` wide (the height
/// follows the watch area's shape), as PNG bytes.
pub fn render_map(
    scene: &Scene,
    products: &Products,
    suggestions: &[Suggestion],
    target_height_m: f64,
    width_px: u32,
) -> CoverageResult<Vec<u8>> {
    let width_px = width_px.clamp(100, 4000);
    let (bbox, height_px) = frame(products, scene, width_px);
    let pixmap = Pixmap::new(width_px, height_px)
        .ok_or_else(|| CoverageError::Render(format!("cannot allocate {width_px}×{height_px}")))?;
    let cos = ((bbox[1] + bbox[3]) / 2.0).to_radians().cos().max(0.01);
    let px_per_deg_lon = f64::from(width_px) / (bbox[2] - bbox[0]);
    let mut canvas = Canvas {
        pixmap,
        view: View {
            lon0: bbox[0],
            lat1: bbox[3],
            px_per_deg_lon,
            px_per_deg_lat: px_per_deg_lon / cos,
        },
    };
    let [r, g, b, a] = colour::SEA;
    canvas.pixmap.fill(Color::from_rgba8(r, g, b, a));
    canvas.land(products);
    for town in &scene.towns {
        canvas.polygons(
            &town.shape,
            [0, 0, 0, 0],
            Some((colour::LAND_EDGE, 1.2, true)),
        );
    }
    if let Some(district) = &scene.district {
        canvas.polygons(district, [0, 0, 0, 0], Some((colour::DISTRICT, 1.5, true)));
    }
    for camera in &products.cameras {
        canvas.polygons(
            &camera.shape,
            colour::VIEW,
            Some((colour::VIEW_EDGE, 1.0, false)),
        );
    }
    for suggestion in suggestions {
        let (shape, _) = sector(&suggestion.camera(), target_height_m);
        canvas.polygon(
            &shape,
            colour::SUGGESTED_VIEW,
            Some((colour::SUGGESTED, 1.8, true)),
        );
    }
    let scale = (f64::from(width_px) / 1200.0).max(0.5) as f32;
    canvas.lines(
        products.coastline.iter().flat_map(|t| &t.covered_lines),
        colour::COVERED,
        3.0 * scale,
    );
    canvas.lines(
        products
            .coastline
            .iter()
            .flat_map(|t| t.uncovered.iter().map(|s| &s.line)),
        colour::UNCOVERED,
        3.0 * scale,
    );
    for camera in &scene.cameras {
        canvas.dot(
            camera.model.lon,
            camera.model.lat,
            3.5 * scale,
            colour::CAMERA,
            colour::OUTLINE,
        );
    }
    for point in &products.risk_points {
        let fill = if point.covered {
            colour::COVERED
        } else {
            colour::UNCOVERED
        };
        canvas.dot(point.lon, point.lat, 5.0 * scale, fill, colour::OUTLINE);
    }
    for suggestion in suggestions {
        canvas.star(suggestion.lon, suggestion.lat, 10.0 * scale);
    }
    canvas.scale_bar(km_per_px(bbox, width_px));
    canvas
        .pixmap
        .encode_png()
        .map_err(|e| CoverageError::Render(e.to_string()))
}
