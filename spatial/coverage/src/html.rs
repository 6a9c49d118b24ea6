//! The HTML coverage report: one self-contained page (inline CSS, the map as a `data:` PNG,
//! the charts as inline SVG), readable offline and attachable to an e-mail.

use std::fmt::Write as _;

use base64::Engine as _;

use super::CoverageReport;
use super::products::Reason;

/// Escapes text for HTML.
fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn pct(value: Option<f64>) -> String {
    value.map_or_else(|| "–".to_owned(), |v| format!("{v:.1} %"))
}

fn km(metres: f64) -> String {
    format!("{:.2} km", metres / 1000.0)
}

/// One line of a chart.
struct Series<'a> {
    name: &'a str,
    colour: &'a str,
    values: Vec<Option<f64>>,
}

/// A line chart of percentages (0–100) over `xs`, labelled by `x_labels`, as inline SVG.
fn line_chart(
    title: &str,
    x_title: &str,
    xs: &[f64],
    x_labels: &[String],
    series: &[Series],
) -> String {
    const W: f64 = 560.0;
    const H: f64 = 320.0;
    let (left, right, top, bottom) = (52.0, 150.0, 34.0, 48.0);
    let (pw, ph) = (W - left - right, H - top - bottom);
    let (x_min, x_max) = xs
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &x| {
            (a.min(x), b.max(x))
        });
    let span = if x_max > x_min { x_max - x_min } else { 1.0 };
    let px = |x: f64| {
        if x_max > x_min {
            left + (x - x_min) / span * pw
        } else {
            left + pw / 2.0
        }
    };
    let py = |y: f64| top + (1.0 - y.clamp(0.0, 100.0) / 100.0) * ph;
    let mut svg = String::new();
    let _ = write!(
        svg,
        r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {W} {H}" width="{W}" height="{H}" role="img" aria-label="{t}">"#,
        t = esc(title)
    );
    let _ = write!(
        svg,
        r#"<text x="{x}" y="20" class="title">{t}</text>"#,
        x = left,
        t = esc(title)
    );
    for k in 0..=4 {
        let v = f64::from(k) * 25.0;
        let y = py(v);
        let _ = write!(
            svg,
            r##"<line x1="{left}" x2="{x2}" y1="{y:.1}" y2="{y:.1}" stroke="#ddd"/><text x="{tx}" y="{ty:.1}" text-anchor="end" class="tick">{v} %</text>"##,
            x2 = left + pw,
            tx = left - 6.0,
            ty = y + 4.0
        );
    }
    for (x, label) in xs.iter().zip(x_labels) {
        let _ = write!(
            svg,
            r##"<line x1="{x:.1}" x2="{x:.1}" y1="{y1}" y2="{y2}" stroke="#999"/><text x="{x:.1}" y="{ty}" text-anchor="middle" class="tick">{l}</text>"##,
            x = px(*x),
            y1 = top + ph,
            y2 = top + ph + 4.0,
            ty = top + ph + 17.0,
            l = esc(label)
        );
    }
    let _ = write!(
        svg,
        r##"<line x1="{left}" x2="{x2}" y1="{y}" y2="{y}" stroke="#555"/><line x1="{left}" x2="{left}" y1="{top}" y2="{y}" stroke="#555"/><text x="{cx}" y="{ty}" text-anchor="middle" class="axis">{t}</text>"##,
        x2 = left + pw,
        y = top + ph,
        cx = left + pw / 2.0,
        ty = H - 8.0,
        t = esc(x_title)
    );
    for (i, s) in series.iter().enumerate() {
        let points: Vec<(f64, f64)> = xs
            .iter()
            .zip(&s.values)
            .filter_map(|(x, v)| v.map(|v| (px(*x), py(v))))
            .collect();
        if points.len() > 1 {
            let path: Vec<String> = points
                .iter()
                .map(|(x, y)| format!("{x:.1},{y:.1}"))
                .collect();
            let _ = write!(
                svg,
                r#"<polyline fill="none" stroke="{c}" stroke-width="2.5" points="{p}"/>"#,
                c = s.colour,
                p = path.join(" ")
            );
        }
        for (x, y) in &points {
            let _ = write!(
                svg,
                r#"<circle cx="{x:.1}" cy="{y:.1}" r="3.5" fill="{c}"/>"#,
                c = s.colour
            );
        }
        let ly = top + 10.0 + 20.0 * i as f64;
        let lx = left + pw + 14.0;
        let _ = write!(
            svg,
            r#"<line x1="{lx}" x2="{x2}" y1="{ly}" y2="{ly}" stroke="{c}" stroke-width="3"/><text x="{tx}" y="{ty}" class="tick">{n}</text>"#,
            x2 = lx + 18.0,
            c = s.colour,
            tx = lx + 24.0,
            ty = ly + 4.0,
            n = esc(s.name)
        );
    }
    svg.push_str("</svg>");
    svg
}

const CSS: &str = "body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;margin:24px auto;max-width:1240px;color:#222;padding:0 16px}\
h1{margin-bottom:4px}h2{margin-top:32px;border-bottom:1px solid #ddd;padding-bottom:4px}\
.muted{color:#666}.cards{display:flex;flex-wrap:wrap;gap:12px}.card{border:1px solid #ddd;border-radius:8px;padding:10px 16px;min-width:170px}\
.card b{display:block;font-size:1.6em}table{border-collapse:collapse;margin:8px 0;font-size:.92em}\
th,td{border-bottom:1px solid #eee;padding:4px 10px;text-align:left}th{background:#f6f6f6}td.n{text-align:right}\
.map{max-width:100%;border:1px solid #ccc}.legend span{display:inline-block;margin-right:16px}\
.sw{display:inline-block;width:14px;height:14px;vertical-align:middle;margin-right:5px;border:1px solid #888}\
.charts{display:flex;flex-wrap:wrap;gap:24px}svg .title{font-weight:600;font-size:14px}svg .tick{font-size:11px;fill:#444}svg .axis{font-size:12px;fill:#222}\
.bad{color:#c0181b;font-weight:600}.good{color:#1a8f3d;font-weight:600}";

/// The language of the report: English, or Chinese for the district's officials.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Lang {
    /// English.
    #[default]
    En,
    /// Simplified Chinese (`zh-CN`).
    ZhCn,
}

impl Lang {
    /// The `lang` attribute of the page.
    pub fn tag(self) -> &'static str {
        match self {
            Self::En => "en",
            Self::ZhCn => "zh-CN",
        }
    }

    /// `en` in this language (the English text is the key; untranslated text stays English).
    fn t(self, en: &'static str) -> &'static str {
        if self == Self::En {
            return en;
        }
        match en {
            "Camera coverage report" => "视频监控覆盖报告",
            "Camera coverage" => "视频监控覆盖",
            "cameras" => "台摄像机",
            "risk points" => "个风险点",
            "of coastline" => "岸线",
            "H3 resolution" => "H3 分辨率",
            "targets high" => "目标高度",
            "terrain" => "地形",
            "Risk points covered" => "风险点覆盖",
            "Coastline covered" => "岸线覆盖",
            "Watch area seen" => "监控区域可视面积",
            "Overlap (≥ 2 cameras)" => "重叠覆盖（≥2台）",
            "Unseen cells" => "盲区网格",
            "of" => "/",
            "cells" => "个网格",
            "range" => "超出距离",
            "fov" => "视场外",
            "Map" => "地图",
            "coverage map" => "覆盖地图",
            "sea" => "海域",
            "land" => "陆地",
            "camera view" => "摄像机视域",
            "covered coastline / risk point" => "已覆盖岸线 / 风险点",
            "uncovered coastline / risk point" => "未覆盖岸线 / 风险点",
            "camera" => "摄像机",
            "suggested camera (star) and its view" => "建议新增摄像机（星形）及其视域",
            "scale bar" => "比例尺",
            "Charts" => "图表",
            "Coverage vs number of added cameras" => "覆盖率与新增摄像机数量",
            "cameras added (greedy order)" => "新增摄像机（贪心顺序）",
            "weighted" => "加权",
            "risk points (series)" => "风险点",
            "coastline" => "岸线",
            "Coverage vs camera range" => "覆盖率与摄像机作用距离",
            "every camera's range scaled by" => "全部摄像机作用距离倍数",
            "Suggested cameras" => "建议新增摄像机点位",
            "None asked for (use --suggest N), or no candidate adds coverage." => {
                "未请求建议（使用 --suggest N），或没有候选点位能增加覆盖。"
            }
            "candidate sites" => "个候选点位",
            "site × heading candidates" => "个点位×朝向组合",
            "total weight" => "总权重",
            "covered before" => "现有覆盖",
            "lon" => "经度",
            "lat" => "纬度",
            "heading" => "朝向",
            "site" => "点位",
            "marginal gain" => "边际增益",
            "new risk points" => "新覆盖风险点",
            "new coastline" => "新覆盖岸线",
            "new sea cells" => "新覆盖海域网格",
            "Towns" => "乡镇",
            "town" => "乡镇",
            "risk points covered" => "风险点覆盖",
            "coastline covered" => "岸线覆盖",
            "(no town)" => "（无乡镇）",
            "Risk points" => "风险点",
            "name" => "名称",
            "kind" => "类型",
            "covered" => "已覆盖",
            "reason" => "原因",
            "seen by" => "可见摄像机",
            "nearest camera" => "最近摄像机",
            "out of range" => "超出作用距离",
            "outside the field of view" => "不在视场内",
            "hidden by terrain" => "被地形遮挡",
            "yes" => "是",
            "no" => "否",
            "Uncovered coastline" => "未覆盖岸线",
            "All covered." => "全部覆盖。",
            "length" => "长度",
            "from (lon, lat)" => "起点（经度, 纬度）",
            "to (lon, lat)" => "终点（经度, 纬度）",
            "shorter stretches (see uncovered_coastline in coastline.geojson)." => {
                "段较短岸线（见 coastline.geojson 的 uncovered_coastline）。"
            }
            "and" => "另有",
            "Cameras" => "摄像机",
            "visible area" => "可视面积",
            "cells seen" => "可见网格",
            "risk points seen" => "可见风险点",
            "coastline seen" => "可见岸线",
            "Generated by coastwatch coverage." => "由 coastwatch coverage 生成。",
            _ => en,
        }
    }
}

/// The report page: summary, map, charts and tables of `report`, with `map_png` inline, in
/// `lang`. `scale_bar_km` is the length of the map's scale bar.
pub fn html_report(
    report: &CoverageReport,
    map_png: &[u8],
    scale_bar_km: f64,
    lang: Lang,
) -> String {
    let mut h = String::with_capacity(map_png.len() * 4 / 3 + 64 * 1024);
    head(&mut h, report, lang);
    cards(&mut h, report, lang);
    map(&mut h, map_png, scale_bar_km, lang);
    charts(&mut h, report, lang);
    suggestions(&mut h, report, lang);
    towns(&mut h, report, lang);
    risk_points(&mut h, report, lang);
    uncovered_coastline(&mut h, report, lang);
    cameras(&mut h, report, lang);
    h
}

/// A table's header row.
fn header_row(h: &mut String, l: Lang, columns: &[&'static str]) {
    h.push_str("<table><tr>");
    for c in columns {
        let _ = write!(h, "<th>{}</th>", l.t(c));
    }
    h.push_str("</tr>");
}

/// The page head and the title line.
fn head(h: &mut String, report: &CoverageReport, l: Lang) {
    let s = &report.summary;
    let p = &report.parameters;
    let _ = write!(
        h,
        "<!DOCTYPE html><html lang=\"{}\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width,initial-scale=1\"><title>{}</title><style>{CSS}</style></head><body>",
        l.tag(),
        l.t("Camera coverage report")
    );
    let _ = write!(
        h,
        "<h1>{}</h1><p class=\"muted\">{} {}, {} {}, {} {} · {} {} · {} {} m · {}: {}</p>",
        l.t("Camera coverage"),
        s.cameras,
        l.t("cameras"),
        s.risk_points,
        l.t("risk points"),
        km(s.coastline_m),
        l.t("of coastline"),
        l.t("H3 resolution"),
        p.h3_res,
        l.t("targets high"),
        p.target_height_m,
        l.t("terrain"),
        esc(&p.terrain)
    );
}

/// The cards of the headline figures.
fn cards(h: &mut String, report: &CoverageReport, l: Lang) {
    let s = &report.summary;
    h.push_str("<div class=\"cards\">");
    let cards = [
        (
            "Risk points covered",
            format!("{} / {}", s.risk_points_covered, s.risk_points),
            pct(s.risk_point_coverage_pct),
        ),
        (
            "Coastline covered",
            km(s.coastline_covered_m),
            pct(s.coastline_coverage_pct),
        ),
        (
            "Watch area seen",
            format!("{:.1} km²", s.seen_area_km2),
            format!(
                "{} {} {:.1} km²",
                pct(s.seen_pct),
                l.t("of"),
                s.watch_area_km2
            ),
        ),
        (
            "Overlap (≥ 2 cameras)",
            format!("{:.2} km²", s.overlap_area_km2),
            format!("{} {}", s.cells_overlap, l.t("cells")),
        ),
        (
            "Unseen cells",
            format!("{}", s.gaps.range + s.gaps.fov + s.gaps.terrain),
            format!(
                "{} {} · {} {} · {} {}",
                l.t("range"),
                s.gaps.range,
                l.t("fov"),
                s.gaps.fov,
                l.t("terrain"),
                s.gaps.terrain
            ),
        ),
    ];
    for (title, big, small) in cards {
        let _ = write!(
            h,
            "<div class=\"card\">{}<b>{big}</b><span class=\"muted\">{small}</span></div>",
            l.t(title)
        );
    }
    h.push_str("</div>");
}

/// The map, inline, and its legend.
fn map(h: &mut String, map_png: &[u8], scale_bar_km: f64, l: Lang) {
    let png = base64::engine::general_purpose::STANDARD.encode(map_png);
    let _ = write!(
        h,
        "<h2>{}</h2><img src=\"data:image/png;base64,{png}\" class=\"map\" alt=\"{}\">",
        l.t("Map"),
        l.t("coverage map")
    );
    let swatch = |colour: &str, label: &'static str| {
        format!(
            "<span><i class=\"sw\" style=\"background:{colour}\"></i>{}</span>",
            l.t(label)
        )
    };
    let _ = write!(
        h,
        "<p class=\"legend\">{}{}{}{}{}{}{}<span>{}: {scale_bar_km} km</span></p>",
        swatch("#cfe6f3", "sea"),
        swatch("#efe9d6", "land"),
        swatch("rgba(46,160,90,.35)", "camera view"),
        swatch("#1a9641", "covered coastline / risk point"),
        swatch("#d7191c", "uncovered coastline / risk point"),
        swatch("#14285a", "camera"),
        swatch("#f58c14", "suggested camera (star) and its view"),
        l.t("scale bar"),
    );
}

/// The charts: coverage against added cameras and against camera range.
fn charts(h: &mut String, report: &CoverageReport, l: Lang) {
    let _ = write!(h, "<h2>{}</h2><div class=\"charts\">", l.t("Charts"));
    let added = &report.charts.added_cameras;
    let xs: Vec<f64> = added.iter().map(|c| c.added as f64).collect();
    let labels: Vec<String> = added.iter().map(|c| c.added.to_string()).collect();
    let risk_points = match l {
        Lang::En => "risk points",
        Lang::ZhCn => l.t("risk points (series)"),
    };
    h.push_str(&line_chart(
        l.t("Coverage vs number of added cameras"),
        l.t("cameras added (greedy order)"),
        &xs,
        &labels,
        &[
            Series {
                name: l.t("weighted"),
                colour: "#7b3294",
                values: added.iter().map(|c| c.weighted_coverage_pct).collect(),
            },
            Series {
                name: risk_points,
                colour: "#d7191c",
                values: added.iter().map(|c| c.risk_point_coverage_pct).collect(),
            },
            Series {
                name: l.t("coastline"),
                colour: "#2c7bb6",
                values: added.iter().map(|c| c.coastline_coverage_pct).collect(),
            },
        ],
    ));
    let range = &report.charts.camera_range;
    let xs: Vec<f64> = range.iter().map(|r| r.range_scale).collect();
    let labels: Vec<String> = range
        .iter()
        .map(|r| format!("×{}", r.range_scale))
        .collect();
    h.push_str(&line_chart(
        l.t("Coverage vs camera range"),
        l.t("every camera's range scaled by"),
        &xs,
        &labels,
        &[
            Series {
                name: risk_points,
                colour: "#d7191c",
                values: range.iter().map(|r| r.risk_point_coverage_pct).collect(),
            },
            Series {
                name: l.t("coastline"),
                colour: "#2c7bb6",
                values: range.iter().map(|r| r.coastline_coverage_pct).collect(),
            },
        ],
    ));
    h.push_str("</div>");
}

/// The table of suggested cameras.
fn suggestions(h: &mut String, report: &CoverageReport, l: Lang) {
    let _ = write!(h, "<h2>{}</h2>", l.t("Suggested cameras"));
    if report.suggestions.is_empty() {
        let _ = write!(
            h,
            "<p class=\"muted\">{}</p>",
            l.t("None asked for (use --suggest N), or no candidate adds coverage.")
        );
    } else {
        if let Some(t) = &report.suggestion_totals {
            let _ = write!(
                h,
                "<p class=\"muted\">{} {}, {} {}; {} {:.1}, {} {:.1}.</p>",
                t.sites,
                l.t("candidate sites"),
                t.candidates,
                l.t("site × heading candidates"),
                l.t("total weight"),
                t.total_weight,
                l.t("covered before"),
                t.covered_weight_before
            );
        }
        header_row(
            h,
            l,
            &[
                "#",
                "lon",
                "lat",
                "heading",
                "site",
                "marginal gain",
                "new risk points",
                "new coastline",
                "new sea cells",
            ],
        );
        for g in &report.suggestions {
            let _ = write!(
                h,
                "<tr><td>{}</td><td class=n>{:.5}</td><td class=n>{:.5}</td><td class=n>{:.0}°</td><td>{:?}</td><td class=n>{:.2} ({:.1} %)</td><td class=n>{}</td><td class=n>{}</td><td class=n>{}</td></tr>",
                g.rank,
                g.lon,
                g.lat,
                g.heading_deg,
                g.site,
                g.marginal_gain,
                g.marginal_gain_pct,
                g.risk_points.len(),
                km(g.coastline_m),
                g.sea_cells
            );
        }
        h.push_str("</table>");
    }
}

fn town(name: &Option<String>, l: Lang) -> String {
    name.as_deref()
        .map_or_else(|| l.t("(no town)").to_owned(), esc)
}

/// The table of towns.
fn towns(h: &mut String, report: &CoverageReport, l: Lang) {
    let _ = write!(h, "<h2>{}</h2>", l.t("Towns"));
    header_row(
        h,
        l,
        &["town", "risk points covered", "%", "coastline covered", "%"],
    );
    for t in &report.towns {
        let _ = write!(
            h,
            "<tr><td>{}</td><td class=n>{} / {}</td><td class=n>{}</td><td class=n>{} / {}</td><td class=n>{}</td></tr>",
            town(&t.town, l),
            t.risk_points_covered,
            t.risk_points,
            pct(t.risk_point_coverage_pct),
            km(t.coastline_covered_m),
            km(t.coastline_m),
            pct(t.coastline_coverage_pct)
        );
    }
    h.push_str("</table>");
}

/// The table of risk points, uncovered first.
fn risk_points(h: &mut String, report: &CoverageReport, l: Lang) {
    let _ = write!(h, "<h2>{}</h2>", l.t("Risk points"));
    header_row(
        h,
        l,
        &[
            "id",
            "name",
            "kind",
            "town",
            "covered",
            "reason",
            "seen by",
            "nearest camera",
        ],
    );
    let mut points: Vec<_> = report.risk_points.iter().collect();
    points.sort_by_key(|r| (r.covered, r.id));
    for r in points {
        let nearest = r.nearest_camera.as_ref().map_or_else(
            || "–".to_owned(),
            |n| format!("{} ({:.0} m)", esc(&n.name), n.distance_m),
        );
        let reason = match r.reason {
            Reason::Covered => "covered",
            Reason::Range => "out of range",
            Reason::Fov => "outside the field of view",
            Reason::Terrain => "hidden by terrain",
        };
        let _ = write!(
            h,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td class=\"{}\">{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            r.id,
            esc(&r.name),
            serde_json::to_value(r.kind)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default(),
            town(&r.town, l),
            if r.covered { "good" } else { "bad" },
            l.t(if r.covered { "yes" } else { "no" }),
            l.t(reason),
            r.cameras
                .iter()
                .map(i64::to_string)
                .collect::<Vec<_>>()
                .join(", "),
            nearest
        );
    }
    h.push_str("</table>");
}

/// The uncovered coastline stretches per town.
fn uncovered_coastline(h: &mut String, report: &CoverageReport, l: Lang) {
    let _ = write!(h, "<h2>{}</h2>", l.t("Uncovered coastline"));
    for t in &report.coastline {
        let _ = write!(
            h,
            "<h3>{} — {} / {} {} ({})</h3>",
            town(&t.town, l),
            km(t.covered_m),
            km(t.length_m),
            l.t("covered"),
            pct(t.covered_pct)
        );
        if t.uncovered.is_empty() {
            let _ = write!(h, "<p class=\"good\">{}</p>", l.t("All covered."));
            continue;
        }
        header_row(h, l, &["length", "from (lon, lat)", "to (lon, lat)"]);
        for stretch in t.uncovered.iter().take(15) {
            let _ = write!(
                h,
                "<tr><td class=n>{}</td><td>{:.5}, {:.5}</td><td>{:.5}, {:.5}</td></tr>",
                km(stretch.length_m),
                stretch.from[0],
                stretch.from[1],
                stretch.to[0],
                stretch.to[1]
            );
        }
        h.push_str("</table>");
        if t.uncovered.len() > 15 {
            let _ = write!(
                h,
                "<p class=\"muted\">{} {} {}</p>",
                l.t("and"),
                t.uncovered.len() - 15,
                l.t("shorter stretches (see uncovered_coastline in coastline.geojson).")
            );
        }
    }
}

/// The table of cameras and the page end.
fn cameras(h: &mut String, report: &CoverageReport, l: Lang) {
    let _ = write!(h, "<h2>{}</h2>", l.t("Cameras"));
    header_row(
        h,
        l,
        &[
            "id",
            "name",
            "visible area",
            "cells seen",
            "risk points seen",
            "coastline seen",
        ],
    );
    for c in &report.cameras {
        let _ = write!(
            h,
            "<tr><td>{}</td><td>{}</td><td class=n>{:.3} km²</td><td class=n>{}</td><td class=n>{}</td><td class=n>{}</td></tr>",
            c.camera_id,
            esc(&c.name),
            c.area_m2 / 1e6,
            c.cells_seen,
            c.risk_points_seen,
            km(c.coastline_seen_m)
        );
    }
    let _ = writeln!(
        h,
        "</table><p class=\"muted\">{}</p></body></html>",
        l.t("Generated by coastwatch coverage.")
    );
}
