//! Synthetic frames of a fixed camera: sky, sea with waves, land, and the scene's vessels,
//! trucks and people where the camera's pose puts them.
//!
//! # Units
//!
//! Positions `[lon, lat]` (deg), headings degrees clockwise from north, sizes in metres, times
//! in epoch seconds; frames are packed 8-bit RGB, row-major, `width × height × 3` bytes.

use std::fmt;
use std::sync::Arc;

use coastwatch_core::geodesy;
use coastwatch_core::georef::{CalibrationError, Pose};
use coastwatch_core::rng::Rng;
use geo::MultiPolygon;

use super::land::LandIndex;
use super::lettering::{hull_font, letter};

/// Height of a person (m).
pub const PERSON_HEIGHT_M: f64 = 1.7;

/// Width of a truck (m).
pub const TRUCK_WIDTH_M: f64 = 2.5;

/// Character height (m) of the number a truck carries enlarged on its rear (GB 7258 asks for
/// at least 2.5 times a plate's 90 mm).
const REAR_NUMBER_M: f64 = 0.3;

/// Height (m) of a truck's lamps.
const LAMP_M: f64 = 1.0;

/// Beam of a vessel that gives none, as a share of its length.
const DEFAULT_BEAM_SHARE: f64 = 0.25;

/// Freeboard (hull above the waterline) as a share of a vessel's height.
const FREEBOARD_SHARE: f64 = 0.3;

/// Top of the wheelhouse as a share of a vessel's height; a mast reaches the rest.
const WHEELHOUSE_SHARE: f64 = 0.75;

/// Distance (m) over which daylight haze takes away about two thirds of an object's contrast.
const HAZE_M: f64 = 8000.0;

/// Spread (px, one sigma) of a navigation light's glow on the sensor.
const GLOW_SIGMA_PX: f64 = 0.8;

/// Standard gravity (m/s²), for the waves' periods.
const GRAVITY_MPS2: f64 = 9.81;

/// The two wave trains on the sea: wavelength (m) and direction (deg) relative to a seeded
/// one. Deep-water waves: the period follows the wavelength.
const WAVES: [(f64, f64); 2] = [(24.0, 0.0), (9.0, 55.0)];

/// Entries of the sine table the waves are read from.
const SINE_STEPS: usize = 1024;

/// A colour, 0–255 per channel.
type Rgb = [f32; 3];

/// What a scene object is.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ObjectKind {
    /// A vessel: a dark hull with a lighter wheelhouse by day, its navigation lights at night.
    Vessel {
        /// Length overall (m).
        length_m: f64,
        /// Beam (m); `None` takes a quarter of the length.
        beam_m: Option<f64>,
        /// Height of the highest point above the waterline: freeboard, wheelhouse and mast (m).
        height_m: f64,
    },
    /// A person, [`PERSON_HEIGHT_M`] tall: dark clothes by day, bright at night (as an
    /// infrared-lit camera sees a warm body).
    Person,
    /// A box or tank truck, [`TRUCK_WIDTH_M`] wide, its number enlarged on its rear; its
    /// lamps at night.
    Truck {
        /// Length (m).
        length_m: f64,
        /// Height (m).
        height_m: f64,
    },
}

/// One thing in view of a camera.
#[derive(Debug, Clone, PartialEq)]
pub struct SceneObject {
    /// Where it floats or stands (lon, lat): a vessel's centre, a person's feet.
    pub lonlat: [f64; 2],
    /// What it is.
    pub kind: ObjectKind,
    /// Where its bow points (deg clockwise from north).
    pub heading_deg: f64,
    /// Whether a vessel shows its navigation lights at night. A vessel without lights is
    /// invisible at night, as it is to a real camera over a dark sea.
    pub lights: bool,
    /// The name or number painted on a vessel's hull (white) or a truck's rear (black), seen
    /// by day.
    pub marking: Option<Arc<str>>,
}

/// What a pixel shows when no object covers it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Surface {
    /// Above the sea horizon.
    Sky,
    /// Sea.
    Sea,
    /// Land: the pixel's point at sea level lies in a land polygon.
    Land,
}

/// The colours and texture of a time of day.
struct Palette {
    sky_horizon: Rgb,
    sky_top: Rgb,
    sea_near: Rgb,
    sea_far: Rgb,
    land: Rgb,
    hull: Rgb,
    wheelhouse: Rgb,
    person: Rgb,
    truck: Rgb,
    truck_rear: Rgb,
    /// Amplitude (grey levels) of each wave train.
    wave_levels: f64,
    /// Largest sensor noise (grey levels).
    noise_levels: i32,
}

const DAY: Palette = Palette {
    sky_horizon: [196.0, 206.0, 214.0],
    sky_top: [112.0, 148.0, 196.0],
    sea_near: [56.0, 76.0, 90.0],
    sea_far: [138.0, 150.0, 160.0],
    land: [88.0, 94.0, 70.0],
    hull: [34.0, 36.0, 40.0],
    wheelhouse: [112.0, 118.0, 124.0],
    person: [62.0, 54.0, 48.0],
    truck: [150.0, 156.0, 162.0],
    truck_rear: [214.0, 214.0, 206.0],
    wave_levels: 3.0,
    noise_levels: 3,
};

const NIGHT: Palette = Palette {
    sky_horizon: [14.0, 16.0, 26.0],
    sky_top: [3.0, 4.0, 10.0],
    sea_near: [5.0, 7.0, 10.0],
    sea_far: [11.0, 13.0, 19.0],
    land: [9.0, 10.0, 8.0],
    hull: [4.0, 5.0, 6.0],
    wheelhouse: [6.0, 7.0, 8.0],
    person: [210.0, 210.0, 204.0],
    truck: [8.0, 9.0, 10.0],
    truck_rear: [10.0, 10.0, 10.0],
    wave_levels: 1.0,
    noise_levels: 4,
};

/// The paint of hull markings.
const MARKING: Rgb = [238.0, 238.0, 232.0];

/// The paint of a truck's rear number.
const REAR_NUMBER: Rgb = [22.0, 22.0, 26.0];

/// Masthead and stern lights.
const WHITE_LIGHT: Rgb = [255.0, 250.0, 235.0];
/// Starboard sidelight.
const GREEN_LIGHT: Rgb = [60.0, 255.0, 120.0];
/// Port sidelight.
const RED_LIGHT: Rgb = [255.0, 60.0, 50.0];

/// Arc (deg either side of the bow) of the masthead light and each sidelight; the stern light
/// covers the rest.
const BOW_ARC_DEG: f64 = 112.5;

/// The wave state of one pixel: phase of each train (1/65536 of a cycle) and its amplitude
/// (0–255; 0 off the sea and where the train is finer than the pixels can show).
#[derive(Debug, Clone, Copy, Default)]
struct Texel {
    phase: [u16; 2],
    amp: [u8; 2],
}

/// Draws one camera's frames. Made once per camera: the land mask, the background of day and
/// night and the waves' layout are computed in [`Renderer::new`], so that a frame costs one
/// pass over its pixels plus its objects.
pub struct Renderer {
    pose: Pose,
    seed: u64,
    focal_px: f64,
    surface: Vec<Surface>,
    day: Vec<u8>,
    night: Vec<u8>,
    waves: Vec<Texel>,
    /// Period (s) of each wave train.
    periods_s: [f64; 2],
}

impl fmt::Debug for Renderer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Renderer")
            .field("pose", &self.pose)
            .field("seed", &self.seed)
            .finish_non_exhaustive()
    }
}

impl Renderer {
    /// A renderer for the camera at `pose` over a district whose `land` (lon/lat polygons) is
    /// not sea; `seed` fixes the waves, the land's texture and the sensor noise.
    ///
    /// # Errors
    /// A pose that [`Pose::check`] refuses.
    pub fn new(pose: Pose, land: &MultiPolygon, seed: u64) -> Result<Self, CalibrationError> {
        pose.check()?;
        let (width, height) = (pose.width as usize, pose.height as usize);
        let focal_px = f64::from(pose.width) / 2.0 / (pose.hfov_deg.to_radians() / 2.0).tan();
        let index = LandIndex::new(land);

        // Each pixel centre's point at sea level: east and north of the camera (m), range (m).
        let mut ground: Vec<Option<[f64; 3]>> = Vec::with_capacity(width * height);
        let mut surface = Vec::with_capacity(width * height);
        for y in 0..height {
            for x in 0..width {
                match pose.pixel_to_ground([x as f64 + 0.5, y as f64 + 0.5]) {
                    Ok(g) => {
                        let (sin, cos) = g.bearing_deg.to_radians().sin_cos();
                        ground.push(Some([g.range_m * sin, g.range_m * cos, g.range_m]));
                        surface.push(if index.contains([g.lon, g.lat]) {
                            Surface::Land
                        } else {
                            Surface::Sea
                        });
                    }
                    Err(_) => {
                        ground.push(None);
                        surface.push(Surface::Sky);
                    }
                }
            }
        }

        let mut rng = Rng::new(seed);
        let swell_deg = rng.range(0.0, 360.0);
        let texture_seed = rng.next_u64();
        let trains = WAVES.map(|(wavelength_m, turn_deg)| {
            let (sin, cos) = (swell_deg + turn_deg).to_radians().sin_cos();
            // Direction of travel as (east, north) over the wavelength: cycles per metre.
            [sin / wavelength_m, cos / wavelength_m]
        });
        let periods_s = WAVES
            .map(|(wavelength_m, _)| (std::f64::consts::TAU * wavelength_m / GRAVITY_MPS2).sqrt());

        let horizon_row = pose.horizon_row();
        let mut day = Vec::with_capacity(width * height * 3);
        let mut night = Vec::with_capacity(width * height * 3);
        let mut waves = vec![Texel::default(); width * height];
        for y in 0..height {
            for x in 0..width {
                let i = y * width + x;
                let (d, n) = match (surface[i], ground[i]) {
                    (Surface::Sea, Some([east, north, range_m])) => {
                        waves[i] = texel(&ground, width, height, x, y, &trains, [east, north]);
                        (
                            sea_colour(&DAY, pose.height_m, range_m),
                            sea_colour(&NIGHT, pose.height_m, range_m),
                        )
                    }
                    (Surface::Land, Some([east, north, range_m])) => {
                        // Fields and woods: patches of 16 m and of 2 m, which keep still.
                        let shade = 1.0
                            + patch_shade(texture_seed, east, north, 16.0, 0.2)
                            + patch_shade(texture_seed ^ 1, east, north, 2.0, 0.1);
                        let land =
                            |p: &Palette| hazed(p, p.land.map(|c| c * shade as f32), range_m);
                        (land(&DAY), land(&NIGHT))
                    }
                    _ => {
                        let above =
                            ((horizon_row - (y as f64 + 0.5)) / height as f64).clamp(0.0, 1.0);
                        (
                            mix(DAY.sky_horizon, DAY.sky_top, above.sqrt()),
                            mix(NIGHT.sky_horizon, NIGHT.sky_top, above),
                        )
                    }
                };
                day.extend(d.map(to_u8));
                night.extend(n.map(to_u8));
            }
        }
        Ok(Self {
            pose,
            seed,
            focal_px,
            surface,
            day,
            night,
            waves,
            periods_s,
        })
    }

    /// The camera's pose.
    pub fn pose(&self) -> &Pose {
        &self.pose
    }

    /// What pixel (`x`, `y`) shows without objects; `None` outside the image.
    pub fn surface(&self, x: u32, y: u32) -> Option<Surface> {
        (x < self.pose.width && y < self.pose.height)
            .then(|| self.surface[y as usize * self.pose.width as usize + x as usize])
    }

    /// The frame at `t_epoch_s` with `objects` in view: packed RGB, `width × height × 3`
    /// bytes. Objects behind the camera, within a metre of it or below the horizon are not
    /// drawn; nearer ones cover farther ones. At night a vessel shows only its lights (nothing
    /// without them) and a person shows bright. The same seed, time and objects give the same
    /// bytes.
    pub fn frame(&self, t_epoch_s: f64, objects: &[SceneObject], night: bool) -> Vec<u8> {
        let palette = if night { &NIGHT } else { &DAY };
        let mut rgb = if night {
            self.night.clone()
        } else {
            self.day.clone()
        };
        self.add_waves_and_noise(&mut rgb, t_epoch_s, palette);
        for (range_m, object) in self.draw_order(objects) {
            match object.kind {
                ObjectKind::Vessel {
                    length_m,
                    beam_m,
                    height_m,
                } => {
                    let beam_m = beam_m.unwrap_or(DEFAULT_BEAM_SHARE * length_m);
                    let size = [length_m, beam_m, height_m];
                    if !size.iter().all(|v| v.is_finite() && *v > 0.0) {
                        continue;
                    }
                    if night {
                        if object.lights {
                            self.draw_lights(&mut rgb, object, size);
                        }
                    } else {
                        self.draw_vessel(&mut rgb, object, size, range_m, palette);
                    }
                }
                ObjectKind::Person => self.draw_person(&mut rgb, object, range_m, palette),
                ObjectKind::Truck { length_m, height_m } => {
                    let size = [length_m, height_m];
                    if size.iter().all(|v| v.is_finite() && *v > 0.0) {
                        self.draw_truck(&mut rgb, object, size, range_m, palette, night);
                    }
                }
            }
        }
        rgb
    }

    /// The objects with their range (m), farthest first.
    fn draw_order<'a>(&self, objects: &'a [SceneObject]) -> Vec<(f64, &'a SceneObject)> {
        let mut order: Vec<(f64, &SceneObject)> = objects
            .iter()
            .map(|o| (geodesy::distance_m(self.pose.position(), o.lonlat), o))
            .filter(|(range_m, _)| *range_m >= 1.0)
            .collect();
        order.sort_by(|a, b| b.0.total_cmp(&a.0));
        order
    }

    /// Moves the waves to `t_epoch_s` and adds the sensor noise of that instant.
    fn add_waves_and_noise(&self, rgb: &mut [u8], t_epoch_s: f64, palette: &Palette) {
        let sine: Vec<i32> = (0..SINE_STEPS)
            .map(|i| {
                let angle = std::f64::consts::TAU * i as f64 / SINE_STEPS as f64;
                (angle.sin() * palette.wave_levels * 256.0).round() as i32
            })
            .collect();
        let offsets = self
            .periods_s
            .map(|period_s| ((-t_epoch_s / period_s).rem_euclid(1.0) * 65536.0) as u16);
        // Triangular noise: the sum of two 4-bit draws, scaled to ±noise_levels.
        let noise: Vec<i32> = (0..256)
            .map(|b: i32| {
                let n = (b & 15) + (b >> 4) - 15;
                (f64::from(n * palette.noise_levels) / 15.0).round() as i32
            })
            .collect();
        let shift = 16 - SINE_STEPS.trailing_zeros();
        let mut rng = Rng::new(self.seed).fork(t_epoch_s.to_bits());
        for (pixels, texels) in rgb.chunks_mut(8 * 3).zip(self.waves.chunks(8)) {
            let mut bits = rng.next_u64();
            for (pixel, texel) in pixels.chunks_exact_mut(3).zip(texels) {
                let mut delta = noise[(bits & 0xFF) as usize];
                bits >>= 8;
                for ((phase, amp), offset) in texel.phase.iter().zip(texel.amp).zip(offsets) {
                    if amp > 0 {
                        let step = phase.wrapping_add(offset) >> shift;
                        delta += (sine[step as usize] * i32::from(amp)) >> 16;
                    }
                }
                for channel in pixel {
                    *channel = (i32::from(*channel) + delta).clamp(0, 255) as u8;
                }
            }
        }
    }

    /// A vessel by day, seen from the side at its centre's range: the hull from the waterline
    /// to the freeboard, as long on screen as its footprint (length and beam at its heading
    /// relative to the line of sight), its stem raked; a lighter wheelhouse aft of amidships;
    /// a mast to its full height.
    fn draw_vessel(
        &self,
        rgb: &mut [u8],
        object: &SceneObject,
        [length_m, beam_m, height_m]: [f64; 3],
        range_m: f64,
        palette: &Palette,
    ) {
        let pose = &self.pose;
        let at = object.lonlat;
        let heading = object.heading_deg;
        let (Some(foot), Some(top)) = (
            pose.ground_to_pixel(at, 0.0),
            pose.ground_to_pixel(at, height_m),
        ) else {
            return;
        };
        let end = |bearing_deg: f64, distance_m: f64| {
            pose.ground_to_pixel(geodesy::destination(at, bearing_deg, distance_m), 0.0)
        };
        let (Some(bow), Some(stern), Some(starboard), Some(port)) = (
            end(heading, length_m / 2.0),
            end(heading + 180.0, length_m / 2.0),
            end(heading + 90.0, beam_m / 2.0),
            end(heading - 90.0, beam_m / 2.0),
        ) else {
            return;
        };
        // Half the length on screen, positive when the bow points right.
        let half_length = (bow[0] - stern[0]) / 2.0;
        let half_beam = ((starboard[0] - port[0]) / 2.0).abs();
        let half = half_length.abs() + half_beam;
        let ahead = if half_length >= 0.0 { 1.0 } else { -1.0 };
        let up_px_per_m = (foot[1] - top[1]) / height_m;
        let row = |h_m: f64| foot[1] - h_m * up_px_per_m;
        let x = foot[0];
        let hull = hazed(palette, palette.hull, range_m);
        let wheelhouse = hazed(palette, palette.wheelhouse, range_m);

        let freeboard_m = FREEBOARD_SHARE * height_m;
        let stern_x = x - ahead * half;
        let stem_x = x + ahead * (half - 0.24 * half_length.abs());
        self.fill(
            rgb,
            [stern_x, stem_x],
            [row(freeboard_m / 2.0), row(0.0)],
            hull,
        );
        self.fill(
            rgb,
            [stern_x, x + ahead * half],
            [row(freeboard_m), row(freeboard_m / 2.0)],
            hull,
        );
        if let Some(marking) = &object.marking {
            // on the hull's side, half the freeboard high, at most 70 % of its length
            let text_px = 0.5 * freeboard_m * up_px_per_m;
            let paint = hazed(palette, MARKING, range_m);
            let middle = row(freeboard_m / 2.0);
            self.letter(rgb, marking, [x, middle], text_px, 1.4 * half, paint);
        }
        let house_x = x - ahead * 0.25 * half_length.abs();
        let house_half = 0.2 * half_length.abs() + 0.8 * half_beam;
        self.fill(
            rgb,
            [house_x - house_half, house_x + house_half],
            [row(WHEELHOUSE_SHARE * height_m), row(freeboard_m)],
            wheelhouse,
        );
        let mast_x = house_x + ahead * 0.5 * house_half;
        let mast_half = self.focal_px * 0.15 / range_m;
        self.fill(
            rgb,
            [mast_x - mast_half, mast_x + mast_half],
            [row(height_m), row(WHEELHOUSE_SHARE * height_m)],
            hull,
        );
    }

    /// A vessel's navigation lights at night, as far as their arcs show them to the camera:
    /// the masthead light and the sidelight of the side it sees when it looks at the bow, the
    /// stern light when it looks at the stern.
    fn draw_lights(
        &self,
        rgb: &mut [u8],
        object: &SceneObject,
        [length_m, beam_m, height_m]: [f64; 3],
    ) {
        let heading = object.heading_deg;
        let to_camera = geodesy::bearing_deg(object.lonlat, self.pose.position());
        // Where the camera is, seen from the bow: positive to starboard.
        let relative = (to_camera - heading + 540.0).rem_euclid(360.0) - 180.0;
        let bow_arc = relative.abs() <= BOW_ARC_DEG;
        // (shown, metres ahead of the centre, metres to starboard, height, colour)
        let lights = [
            (bow_arc, 0.1 * length_m, 0.0, height_m, WHITE_LIGHT),
            (
                bow_arc && relative >= 0.0,
                0.05 * length_m,
                beam_m / 2.0,
                0.55 * height_m,
                GREEN_LIGHT,
            ),
            (
                bow_arc && relative <= 0.0,
                0.05 * length_m,
                -beam_m / 2.0,
                0.55 * height_m,
                RED_LIGHT,
            ),
            (!bow_arc, -0.5 * length_m, 0.0, 0.4 * height_m, WHITE_LIGHT),
        ];
        for (shown, ahead_m, starboard_m, height_m, colour) in lights {
            if !shown {
                continue;
            }
            let along = geodesy::destination(object.lonlat, heading, ahead_m);
            let at = geodesy::destination(along, heading + 90.0, starboard_m);
            if let Some(px) = self.pose.ground_to_pixel(at, height_m) {
                self.glow(rgb, px, colour);
            }
        }
    }

    /// A person standing upright: body and legs 0.45 m wide, a head 0.22 m wide.
    fn draw_person(&self, rgb: &mut [u8], object: &SceneObject, range_m: f64, palette: &Palette) {
        let pose = &self.pose;
        let (Some(foot), Some(top)) = (
            pose.ground_to_pixel(object.lonlat, 0.0),
            pose.ground_to_pixel(object.lonlat, PERSON_HEIGHT_M),
        ) else {
            return;
        };
        let up_px_per_m = (foot[1] - top[1]) / PERSON_HEIGHT_M;
        let row = |h_m: f64| foot[1] - h_m * up_px_per_m;
        let across_px_per_m = self.focal_px / range_m;
        let colour = hazed(palette, palette.person, range_m);
        let shoulders = 1.45;
        let body = 0.225 * across_px_per_m;
        let head = 0.11 * across_px_per_m;
        self.fill(
            rgb,
            [foot[0] - body, foot[0] + body],
            [row(shoulders), row(0.0)],
            colour,
        );
        self.fill(
            rgb,
            [foot[0] - head, foot[0] + head],
            [row(PERSON_HEIGHT_M), row(shoulders)],
            colour,
        );
    }

    /// A truck as the box around its corners on screen, its rear panel in front where the
    /// camera looks at its rear, with the enlarged number on it; at night only its lamps,
    /// red at the rear, white at the front.
    fn draw_truck(
        &self,
        rgb: &mut [u8],
        object: &SceneObject,
        [length_m, height_m]: [f64; 2],
        range_m: f64,
        palette: &Palette,
        night: bool,
    ) {
        let pose = &self.pose;
        let heading = object.heading_deg;
        let to_camera = geodesy::bearing_deg(object.lonlat, pose.position());
        let rear_seen = ((to_camera - heading + 540.0).rem_euclid(360.0) - 180.0).abs() > 90.0;
        // a point `ahead_m` ahead of the centre, `right_m` to its right, `up_m` high
        let point = |ahead_m: f64, right_m: f64, up_m: f64| {
            let along = geodesy::destination(object.lonlat, heading, ahead_m);
            pose.ground_to_pixel(geodesy::destination(along, heading + 90.0, right_m), up_m)
        };
        let half = [length_m / 2.0, TRUCK_WIDTH_M / 2.0];
        if night {
            let (ahead, colour) = if rear_seen {
                (-half[0], RED_LIGHT)
            } else {
                (half[0], WHITE_LIGHT)
            };
            for right in [-0.8 * half[1], 0.8 * half[1]] {
                if let Some(px) = point(ahead, right, LAMP_M) {
                    self.glow(rgb, px, colour);
                }
            }
            return;
        }
        // the box around the pixels of the faces at `ends` (±1: front, rear)
        let outline = |ends: &[f64]| {
            let mut lo = [f64::INFINITY; 2];
            let mut hi = [f64::NEG_INFINITY; 2];
            for &end in ends {
                for side in [-1.0, 1.0] {
                    for up in [0.0, height_m] {
                        let px = point(end * half[0], side * half[1], up)?;
                        for k in 0..2 {
                            lo[k] = lo[k].min(px[k]);
                            hi[k] = hi[k].max(px[k]);
                        }
                    }
                }
            }
            Some((lo, hi))
        };
        let Some((lo, hi)) = outline(&[1.0, -1.0]) else {
            return;
        };
        self.fill(
            rgb,
            [lo[0], hi[0]],
            [lo[1], hi[1]],
            hazed(palette, palette.truck, range_m),
        );
        if !rear_seen {
            return;
        }
        let Some((lo, hi)) = outline(&[-1.0]) else {
            return;
        };
        self.fill(
            rgb,
            [lo[0], hi[0]],
            [lo[1], hi[1]],
            hazed(palette, palette.truck_rear, range_m),
        );
        if let Some(number) = &object.marking {
            let px_per_m = (hi[1] - lo[1]) / height_m;
            let centre = [(lo[0] + hi[0]) / 2.0, (lo[1] + hi[1]) / 2.0];
            let paint = hazed(palette, REAR_NUMBER, range_m);
            let text_px = REAR_NUMBER_M * px_per_m;
            self.letter(rgb, number, centre, text_px, 0.9 * (hi[0] - lo[0]), paint);
        }
    }

    /// Paints the rectangle `x[0]..x[1]` × `y[0]..y[1]` (px, in any order), blending its edge
    /// pixels by the share of them it covers, so that small objects move smoothly.
    fn fill(&self, rgb: &mut [u8], x: [f64; 2], y: [f64; 2], colour: Rgb) {
        let (w, h) = (f64::from(self.pose.width), f64::from(self.pose.height));
        let (x0, x1) = (x[0].min(x[1]).max(0.0), x[0].max(x[1]).min(w));
        let (y0, y1) = (y[0].min(y[1]).max(0.0), y[0].max(y[1]).min(h));
        if !(x0 < x1 && y0 < y1) {
            return;
        }
        let width = self.pose.width as usize;
        for py in y0.floor() as usize..y1.ceil() as usize {
            let cover_y = (y1.min(py as f64 + 1.0) - y0.max(py as f64)) as f32;
            for px in x0.floor() as usize..x1.ceil() as usize {
                let cover_x = (x1.min(px as f64 + 1.0) - x0.max(px as f64)) as f32;
                let alpha = cover_x * cover_y;
                let i = (py * width + px) * 3;
                for (channel, c) in rgb[i..i + 3].iter_mut().zip(colour) {
                    *channel = to_u8(f32::from(*channel) * (1.0 - alpha) + c * alpha);
                }
            }
        }
    }

    /// Paints `text` centred at `centre` (px), `height_px` high and at most `max_width_px`
    /// wide, in `colour`.
    fn letter(
        &self,
        rgb: &mut [u8],
        text: &str,
        centre: [f64; 2],
        height_px: f64,
        max_width_px: f64,
        colour: Rgb,
    ) {
        let Some(font) = hull_font() else {
            return;
        };
        let Some(mut mask) = letter(font, text, height_px as f32) else {
            return;
        };
        if mask.width as f64 > max_width_px {
            let fit = (height_px * max_width_px / mask.width as f64) as f32;
            match letter(font, text, fit) {
                Some(smaller) => mask = smaller,
                None => return,
            }
        }
        let (w, h) = (self.pose.width as i64, self.pose.height as i64);
        let left = (centre[0] - mask.width as f64 / 2.0).round() as i64;
        let top = (centre[1] - mask.height as f64 / 2.0).round() as i64;
        for my in 0..mask.height {
            for mx in 0..mask.width {
                let alpha = mask.alpha[my * mask.width + mx];
                let (px, py) = (left + mx as i64, top + my as i64);
                if alpha <= 0.0 || !(0..w).contains(&px) || !(0..h).contains(&py) {
                    continue;
                }
                let i = (py as usize * self.pose.width as usize + px as usize) * 3;
                for (channel, c) in rgb[i..i + 3].iter_mut().zip(colour) {
                    *channel = to_u8(f32::from(*channel) * (1.0 - alpha) + c * alpha);
                }
            }
        }
    }

    /// Adds a point light's glow centred at `centre` (px).
    fn glow(&self, rgb: &mut [u8], centre: [f64; 2], colour: Rgb) {
        let (w, h) = (i64::from(self.pose.width), i64::from(self.pose.height));
        let reach = (3.0 * GLOW_SIGMA_PX).ceil();
        let xs =
            ((centre[0] - reach).floor() as i64).max(0)..((centre[0] + reach).ceil() as i64).min(w);
        let ys =
            ((centre[1] - reach).floor() as i64).max(0)..((centre[1] + reach).ceil() as i64).min(h);
        for py in ys {
            for px in xs.clone() {
                let dx = px as f64 + 0.5 - centre[0];
                let dy = py as f64 + 0.5 - centre[1];
                let weight = (-(dx * dx + dy * dy) / (2.0 * GLOW_SIGMA_PX * GLOW_SIGMA_PX)).exp();
                let i = ((py * w + px) * 3) as usize;
                for (channel, c) in rgb[i..i + 3].iter_mut().zip(colour) {
                    *channel = to_u8(f32::from(*channel) + c * weight as f32);
                }
            }
        }
    }
}

/// The wave phases of the sea pixel (`x`, `y`) at (`east`, `north`), each train faded out
/// where it changes faster than 0.3 cycles a pixel (far out, where it would alias).
fn texel(
    ground: &[Option<[f64; 3]>],
    width: usize,
    height: usize,
    x: usize,
    y: usize,
    trains: &[[f64; 2]; 2],
    [east, north]: [f64; 2],
) -> Texel {
    let at = |x: usize, y: usize| ground[y * width + x];
    // The ground step to the next pixel right and down (or the previous one at the edges).
    let step = |next: Option<[f64; 3]>, previous: Option<[f64; 3]>| match (next, previous) {
        (Some(n), _) => Some([n[0] - east, n[1] - north]),
        (None, Some(p)) => Some([east - p[0], north - p[1]]),
        (None, None) => None,
    };
    let right = step(
        (x + 1 < width).then(|| at(x + 1, y)).flatten(),
        (x > 0).then(|| at(x - 1, y)).flatten(),
    );
    let down = step(
        (y + 1 < height).then(|| at(x, y + 1)).flatten(),
        (y > 0).then(|| at(x, y - 1)).flatten(),
    );
    let mut texel = Texel::default();
    for (k, train) in trains.iter().enumerate() {
        let cycles = train[0] * east + train[1] * north;
        texel.phase[k] = (cycles.rem_euclid(1.0) * 65536.0) as u16;
        let per_px = |step: Option<[f64; 2]>| {
            step.map_or(f64::INFINITY, |s| (train[0] * s[0] + train[1] * s[1]).abs())
        };
        let fastest = per_px(right).max(per_px(down));
        texel.amp[k] = (((0.3 - fastest) / 0.15).clamp(0.0, 1.0) * 255.0) as u8;
    }
    texel
}

/// The sea at `range_m` from a camera `height_m` above it: darker close by, reflecting more
/// of the sky toward the horizon.
fn sea_colour(palette: &Palette, height_m: f64, range_m: f64) -> Rgb {
    let depression = (height_m / range_m).atan();
    mix(
        palette.sea_near,
        palette.sea_far,
        (-depression / 0.04).exp(),
    )
}

/// `colour` seen through `range_m` of haze.
fn hazed(palette: &Palette, colour: Rgb, range_m: f64) -> Rgb {
    mix(colour, palette.sky_horizon, 1.0 - (-range_m / HAZE_M).exp())
}

/// `a` moved a share `s` (0–1) toward `b`.
fn mix(a: Rgb, b: Rgb, s: f64) -> Rgb {
    let s = s as f32;
    [0, 1, 2].map(|k| a[k] + (b[k] - a[k]) * s)
}

fn to_u8(c: f32) -> u8 {
    c.round().clamp(0.0, 255.0) as u8
}

/// A brightness change in `-spread/2..spread/2`, the same over each square of `side_m` of the
/// ground.
fn patch_shade(seed: u64, east: f64, north: f64, side_m: f64, spread: f64) -> f64 {
    let (i, j) = (
        (east / side_m).floor() as i64,
        (north / side_m).floor() as i64,
    );
    let bits = Rng::new(seed).fork(i as u64).fork(j as u64).next_u64();
    spread * ((bits >> 11) as f64 / (1u64 << 53) as f64 - 0.5)
}

#[cfg(test)]
mod tests {
    use geo::{LineString, Polygon};

    use super::*;

    /// 12 m above the sea, looking east, 640 × 360.
    fn pose() -> Pose {
        Pose {
            lon: 121.6,
            lat: 29.6,
            height_m: 12.0,
            heading_deg: 90.0,
            tilt_deg: 6.0,
            hfov_deg: 60.0,
            width: 640,
            height: 360,
        }
    }

    fn renderer(land: &MultiPolygon) -> Renderer {
        Renderer::new(pose(), land, 7).unwrap()
    }

    fn grey(rgb: &[u8], x: u32, y: u32) -> f64 {
        let i = (y as usize * 640 + x as usize) * 3;
        (f64::from(rgb[i]) + f64::from(rgb[i + 1]) + f64::from(rgb[i + 2])) / 3.0
    }

    fn boat(lonlat: [f64; 2], heading_deg: f64) -> SceneObject {
        SceneObject {
            lonlat,
            kind: ObjectKind::Vessel {
                length_m: 20.0,
                beam_m: None,
                height_m: 6.0,
            },
            heading_deg,
            lights: true,
            marking: None,
        }
    }

    #[test]
    fn sky_is_above_the_horizon_and_sea_below() {
        let r = renderer(&MultiPolygon(vec![]));
        let horizon = r.pose().horizon_row();
        let sky_row = (horizon - 10.0) as u32;
        let sea_row = (horizon + 10.0) as u32;
        assert_eq!(r.surface(320, sky_row), Some(Surface::Sky));
        assert_eq!(r.surface(320, sea_row), Some(Surface::Sea));
        assert_eq!(r.surface(640, 0), None);
        let day = r.frame(1.0e9, &[], false);
        assert_eq!(day.len(), 640 * 360 * 3);
        let night = r.frame(1.0e9, &[], true);
        // By day the sky is brighter than the sea near the camera; at night both are dark.
        assert!(grey(&day, 320, sky_row) > grey(&day, 320, 350) + 60.0);
        for y in [sky_row, sea_row, 350] {
            assert!(grey(&night, 320, y) < 30.0, "row {y}");
        }
    }

    #[test]
    fn land_shows_where_the_ground_lies_on_land() {
        // Everything north of the camera's line of sight is land.
        let land = MultiPolygon(vec![Polygon::new(
            LineString::from(vec![
                (121.55, 29.6),
                (121.75, 29.6),
                (121.75, 29.7),
                (121.55, 29.7),
            ]),
            vec![],
        )]);
        let r = renderer(&land);
        let row = 300;
        // Looking east, north is on the left.
        assert_eq!(r.surface(100, row), Some(Surface::Land));
        assert_eq!(r.surface(540, row), Some(Surface::Sea));
        let lands = (0..640)
            .filter(|&x| r.surface(x, row) == Some(Surface::Land))
            .count();
        assert!((310..=330).contains(&lands), "{lands}");
    }

    #[test]
    fn frames_are_deterministic_and_the_sea_moves() {
        let r = renderer(&MultiPolygon(vec![]));
        let a = r.frame(1.78e9, &[], false);
        assert_eq!(a, r.frame(1.78e9, &[], false));
        assert_ne!(
            a,
            Renderer::new(pose(), &MultiPolygon(vec![]), 8)
                .unwrap()
                .frame(1.78e9, &[], false)
        );
        let b = r.frame(1.78e9 + 1.5, &[], false);
        // Near the camera the waves change the sea by a few levels, never by many: compared
        // over blocks of 8 × 8 pixels, which average the sensor noise away.
        let block = |rgb: &[u8], bx: u32, by: u32| {
            let sum: f64 = (0..64)
                .map(|k| grey(rgb, bx * 8 + k % 8, by * 8 + k / 8))
                .sum();
            sum / 64.0
        };
        let mut changed = 0.0;
        let mut largest: f64 = 0.0;
        let mut count = 0.0;
        for by in 38..45 {
            for bx in 0..80 {
                let d = (block(&a, bx, by) - block(&b, bx, by)).abs();
                changed += d;
                largest = largest.max(d);
                count += 1.0;
            }
        }
        let mean = changed / count;
        assert!(
            mean > 1.0 && largest <= 12.0,
            "mean {mean}, largest {largest}"
        );
    }

    #[test]
    fn a_vessel_shows_where_the_pose_puts_it() {
        let r = renderer(&MultiPolygon(vec![]));
        let at = geodesy::destination(r.pose().position(), 90.0, 300.0);
        // Crossing the view from left to right.
        let frame = r.frame(1.0e9, &[boat(at, 0.0)], false);
        let [x, y] = r.pose().ground_to_pixel(at, 0.0).unwrap();
        let empty = r.frame(1.0e9, &[], false);
        // The hull just above the waterline is dark; beside the boat the sea is untouched.
        assert!(grey(&frame, x as u32, (y - 0.8) as u32) < 60.0);
        assert!(grey(&empty, x as u32, (y - 0.8) as u32) > 80.0);
        let half_px = 10.0 * r.focal_px / 300.0;
        let beside = (x + half_px + 4.0) as u32;
        assert_eq!(
            grey(&frame, beside, (y - 0.8) as u32),
            grey(&empty, beside, (y - 0.8) as u32)
        );
        // Broadside it is as long as its length; end-on, as wide as its beam.
        // On the row of the upper hull, which runs from stern to stem.
        let dark = |rgb: &[u8]| {
            (0..640)
                .filter(|&x| grey(rgb, x, (y - 2.5) as u32) < 60.0)
                .count() as f64
        };
        let broadside = dark(&frame);
        assert!(
            (broadside - 2.0 * half_px).abs() < 3.0,
            "{broadside} vs {}",
            2.0 * half_px
        );
        let end_on = dark(&r.frame(1.0e9, &[boat(at, 90.0)], false));
        assert!((end_on - 2.0 * half_px / 4.0).abs() < 3.0, "{end_on}");
        // Behind the camera, or beyond the horizon: nothing.
        let behind = geodesy::destination(r.pose().position(), 270.0, 300.0);
        let far = geodesy::destination(r.pose().position(), 90.0, 60_000.0);
        for at in [behind, far] {
            assert_eq!(r.frame(1.0e9, &[boat(at, 0.0)], false), empty);
        }
    }

    #[test]
    fn a_truck_shows_its_rear_number_from_behind_and_its_lamps_at_night() {
        // a road camera 3 m up, zoomed to 20°, the truck 30 m ahead
        let road = Pose {
            height_m: 3.0,
            tilt_deg: 2.7,
            hfov_deg: 20.0,
            ..pose()
        };
        let r = Renderer::new(road, &MultiPolygon(vec![]), 7).unwrap();
        let at = geodesy::destination(r.pose().position(), 90.0, 30.0);
        let truck = |heading_deg: f64, marking: Option<&str>| SceneObject {
            lonlat: at,
            kind: ObjectKind::Truck {
                length_m: 10.0,
                height_m: 3.6,
            },
            heading_deg,
            lights: true,
            marking: marking.map(Into::into),
        };
        // the middle of the rear door, and of the front, on screen
        let door = |ahead_m: f64| {
            let p = geodesy::destination(at, 90.0, ahead_m);
            let [x, y] = r.pose().ground_to_pixel(p, 1.8).unwrap();
            (x as u32, y as u32)
        };
        let (rear, front) = (door(-5.0), door(5.0));
        let away = r.frame(1.0e9, &[truck(90.0, Some("浙B12345"))], false);
        let coming = r.frame(1.0e9, &[truck(270.0, Some("浙B12345"))], false);
        // driving away, the camera sees the light rear door; coming, the body's grey front
        assert!(grey(&away, rear.0, rear.1 + 40) > 195.0);
        assert!(grey(&coming, front.0, front.1 + 40) < 170.0);
        // the number is painted dark on the door, only when it carries one and only on its rear
        let lettered = |rgb: &[u8], (x0, y0): (u32, u32)| {
            (x0 - 40..x0 + 40)
                .flat_map(|x| (y0 - 12..y0 + 12).map(move |y| (x, y)))
                .filter(|&(x, y)| grey(rgb, x, y) < 90.0)
                .count()
        };
        assert!(lettered(&away, rear) > 20, "{}", lettered(&away, rear));
        let blank = r.frame(1.0e9, &[truck(90.0, None)], false);
        assert_eq!(lettered(&blank, rear), 0);
        assert_eq!(lettered(&coming, front), 0);
        // at night: red lamps at its rear, white at its front, nothing else
        let lamps = |rgb: &[u8]| {
            rgb.chunks_exact(3)
                .filter(|p| p.iter().any(|c| *c > 150))
                .fold([0u64; 3], |mut sum, p| {
                    for k in 0..3 {
                        sum[k] += u64::from(p[k]);
                    }
                    sum
                })
        };
        let [red, green, _] = lamps(&r.frame(1.0e9, &[truck(90.0, None)], true));
        assert!(red > 2 * green && red > 0, "{red} {green}");
        let [red, green, blue] = lamps(&r.frame(1.0e9, &[truck(270.0, None)], true));
        assert!(
            green > red / 2 && blue > red / 2 && red > 0,
            "{red} {green} {blue}"
        );
    }

    #[test]
    fn at_night_a_vessel_shows_only_its_lights() {
        let r = renderer(&MultiPolygon(vec![]));
        let at = geodesy::destination(r.pose().position(), 90.0, 300.0);
        let dark = r.frame(1.0e9, &[], true);
        let lit = r.frame(1.0e9, &[boat(at, 0.0)], true);
        let unlit = r.frame(
            1.0e9,
            &[SceneObject {
                lights: false,
                ..boat(at, 0.0)
            }],
            true,
        );
        assert_eq!(unlit, dark, "a vessel without lights is invisible at night");
        let bright = |rgb: &[u8]| {
            rgb.chunks_exact(3)
                .filter(|p| p.iter().any(|c| *c > 150))
                .count()
        };
        assert_eq!(bright(&dark), 0);
        assert!((2..=40).contains(&bright(&lit)), "{}", bright(&lit));
        // Heading north, across the view from the left: the camera (west of it) sees its port
        // side, red; heading south, its starboard side, green.
        let colour = |rgb: &[u8]| {
            rgb.chunks_exact(3).fold([0u64; 3], |mut sum, p| {
                if p.iter().any(|c| *c > 150) {
                    for k in 0..3 {
                        sum[k] += u64::from(p[k]);
                    }
                }
                sum
            })
        };
        let north = colour(&lit);
        let south = colour(&r.frame(1.0e9, &[boat(at, 180.0)], true));
        assert!(north[0] > north[1], "{north:?}");
        assert!(south[1] > south[0], "{south:?}");
    }

    #[test]
    fn nearer_objects_cover_farther_ones() {
        // A camera 1 m above the sea: a person 20 m away stands in front of a boat at 300 m.
        let low = Pose {
            height_m: 1.0,
            tilt_deg: 0.0,
            ..pose()
        };
        let r = Renderer::new(low, &MultiPolygon(vec![]), 7).unwrap();
        let person = SceneObject {
            lonlat: geodesy::destination(low.position(), 90.0, 20.0),
            kind: ObjectKind::Person,
            heading_deg: 0.0,
            lights: false,
            marking: None,
        };
        let far = boat(geodesy::destination(low.position(), 90.0, 300.0), 0.0);
        let a = r.frame(1.0e9, &[person.clone(), far.clone()], false);
        assert_eq!(a, r.frame(1.0e9, &[far.clone(), person], false));
        // At the wheelhouse's middle row the person's dark body shows, not the lighter house.
        let house = r
            .pose()
            .ground_to_pixel(far.lonlat, 0.5 * (FREEBOARD_SHARE + WHEELHOUSE_SHARE) * 6.0)
            .unwrap();
        // The boat heads left (north), so its wheelhouse stands right of centre, aft.
        let column = (house[0] + 0.25 * 10.0 * r.focal_px / 300.0).round() as usize;
        let i = ((house[1] as usize) * 640 + column) * 3;
        let only_boat = r.frame(1.0e9, &[far], false);
        assert!(
            (f64::from(only_boat[i]) - f64::from(DAY.wheelhouse[0])).abs() < 10.0,
            "{}",
            only_boat[i]
        );
        assert!(
            (f64::from(a[i]) - f64::from(DAY.person[0])).abs() < 8.0,
            "{}",
            a[i]
        );
    }

    #[test]
    fn objects_are_drawn_farthest_first() {
        let r = renderer(&MultiPolygon(vec![]));
        let at = |d: f64| boat(geodesy::destination(r.pose().position(), 90.0, d), 0.0);
        let objects = [at(500.0), at(100.0), at(f64::NAN), at(900.0)];
        let ranges: Vec<f64> = r
            .draw_order(&objects)
            .iter()
            .map(|(d, _)| d.round())
            .collect();
        assert_eq!(ranges, vec![900.0, 500.0, 100.0]);
    }
}
