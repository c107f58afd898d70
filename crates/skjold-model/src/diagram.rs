//! The data-flow diagram in SVG: zones drawn as dashed trust boundaries (outermost zones first),
//! elements as boxes inside them, conduits as broad bands between zones, flows as arrows coloured
//! by the worst open finding on them and numbered with badges that are placed so that no label
//! overlaps another label or an element; a legend lists every numbered flow.

use std::collections::HashMap;
use std::fmt::Write as _;

use crate::engine::{Finding, Severity, Status};
use crate::facts::{flow_encrypted, SubjectKind};
use crate::model::Model;

const EL_W: f64 = 200.0;
const EL_H: f64 = 48.0;
const GAP: f64 = 26.0;
const TITLE_H: f64 = 34.0;
const ZONE_GAP: f64 = 90.0;
const MARGIN: f64 = 30.0;
const MAX_ROW_W: f64 = 1500.0;
const CHAR_W: f64 = 6.9;
const TITLE_CHAR_W: f64 = 8.2;
const BOLD_CHAR_W: f64 = 7.3;
const LEGEND_ROW: f64 = 20.0;

/// An axis-aligned rectangle.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rect {
    /// Left.
    pub x: f64,
    /// Top.
    pub y: f64,
    /// Width.
    pub w: f64,
    /// Height.
    pub h: f64,
}

impl Rect {
    fn overlaps(&self, o: &Rect) -> bool {
        self.x < o.x + o.w && o.x < self.x + self.w && self.y < o.y + o.h && o.y < self.y + self.h
    }
    fn cx(&self) -> f64 {
        self.x + self.w / 2.0
    }
    fn cy(&self) -> f64 {
        self.y + self.h / 2.0
    }
}

/// A rendered diagram.
#[derive(Debug, Clone)]
pub struct Diagram {
    /// The SVG document.
    pub svg: String,
    /// Width in pixels.
    pub width: f64,
    /// Height in pixels.
    pub height: f64,
    /// Every text label's box (element names, zone titles, flow badges, conduit labels).
    pub labels: Vec<Rect>,
    /// Labels that could not be placed without overlap.
    pub overlaps: usize,
}

/// Colour of a severity.
pub fn colour(s: Option<Severity>) -> &'static str {
    match s {
        Some(Severity::Critical) => "#b91c1c",
        Some(Severity::High) => "#ea580c",
        Some(Severity::Medium) => "#ca8a04",
        Some(Severity::Low) => "#2563eb",
        Some(Severity::Info) | None => "#6b7280",
    }
}

/// Escapes text for XML.
pub fn esc(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&#39;"),
            _ => o.push(c),
        }
    }
    o
}

fn fit(s: &str, width: f64) -> String {
    fit_chars(s, (width / CHAR_W) as usize)
}

fn fit_chars(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_owned()
    } else {
        let mut t: String = s.chars().take(max.saturating_sub(1)).collect();
        t.push('…');
        t
    }
}

fn zone_title(z: &crate::model::Zone) -> String {
    format!(
        "{} · {} · SL-T {}",
        z.name.as_deref().unwrap_or(&z.id),
        z.kind.as_str(),
        z.sl_target
    )
}

/// A spatial hash of occupied rectangles.
struct Occupied {
    cell: f64,
    grid: HashMap<(i64, i64), Vec<usize>>,
    rects: Vec<Rect>,
}

impl Occupied {
    fn new() -> Self {
        Self {
            cell: 128.0,
            grid: HashMap::new(),
            rects: Vec::new(),
        }
    }
    fn cells(&self, r: &Rect) -> impl Iterator<Item = (i64, i64)> {
        let (x0, x1) = (
            (r.x / self.cell).floor() as i64,
            ((r.x + r.w) / self.cell).floor() as i64,
        );
        let (y0, y1) = (
            (r.y / self.cell).floor() as i64,
            ((r.y + r.h) / self.cell).floor() as i64,
        );
        (x0..=x1).flat_map(move |x| (y0..=y1).map(move |y| (x, y)))
    }
    fn free(&self, r: &Rect) -> bool {
        self.cells(r).all(|c| {
            self.grid
                .get(&c)
                .is_none_or(|v| v.iter().all(|&i| !self.rects[i].overlaps(r)))
        })
    }
    fn free_except(&self, r: &Rect, except: &[Rect]) -> bool {
        self.cells(r).all(|c| {
            self.grid.get(&c).is_none_or(|v| {
                v.iter()
                    .all(|&i| !self.rects[i].overlaps(r) || except.contains(&self.rects[i]))
            })
        })
    }
    fn add(&mut self, r: Rect) {
        let i = self.rects.len();
        self.rects.push(r);
        let cells: Vec<_> = self.cells(&r).collect();
        for c in cells {
            self.grid.entry(c).or_default().push(i);
        }
    }
}

/// A flow's route: a quadratic Bézier curve from `p` to `q` bent towards `c` (straight when `c`
/// is the midpoint).
#[derive(Debug, Clone, Copy)]
struct Curve {
    p: (f64, f64),
    c: (f64, f64),
    q: (f64, f64),
}

impl Curve {
    fn at(&self, t: f64) -> (f64, f64) {
        let u = 1.0 - t;
        (
            u * u * self.p.0 + 2.0 * u * t * self.c.0 + t * t * self.q.0,
            u * u * self.p.1 + 2.0 * u * t * self.c.1 + t * t * self.q.1,
        )
    }
    fn normal(&self, t: f64) -> (f64, f64) {
        let u = 1.0 - t;
        let dx = 2.0 * u * (self.c.0 - self.p.0) + 2.0 * t * (self.q.0 - self.c.0);
        let dy = 2.0 * u * (self.c.1 - self.p.1) + 2.0 * t * (self.q.1 - self.c.1);
        let len = (dx * dx + dy * dy).sqrt().max(1.0);
        (-dy / len, dx / len)
    }
}

/// Routes a flow between two element boxes: straight if that crosses no other element, else
/// bent to one side or the other; `lane` separates several flows between the same two elements.
#[allow(clippy::many_single_char_names)] // geometry
fn route(elements: &Occupied, a: &Rect, b: &Rect, lane: usize) -> Curve {
    let (ac, bc) = ((a.cx(), a.cy()), (b.cx(), b.cy()));
    let (dx, dy) = (bc.0 - ac.0, bc.1 - ac.1);
    let len = (dx * dx + dy * dy).sqrt().max(1.0);
    let (nx, ny) = (-dy / len, dx / len);
    let mid = (f64::midpoint(ac.0, bc.0), f64::midpoint(ac.1, bc.1));
    let base = if lane == 0 {
        0.0
    } else {
        30.0 * lane.div_ceil(2) as f64 * if lane % 2 == 1 { 1.0 } else { -1.0 }
    };
    let make = |bend: f64| {
        let c = (mid.0 + nx * bend, mid.1 + ny * bend);
        Curve {
            p: border(a, c.0, c.1),
            c,
            q: border(b, c.0, c.1),
        }
    };
    let clear = |cv: &Curve| {
        (2..=18).all(|i| {
            let (x, y) = cv.at(f64::from(i) / 20.0);
            let probe = Rect {
                x: x - 2.0,
                y: y - 2.0,
                w: 4.0,
                h: 4.0,
            };
            elements.free_except(&probe, &[*a, *b])
        })
    };
    for extra in [0.0, 45.0, -45.0, 80.0, -80.0, 120.0, -120.0, 170.0, -170.0] {
        let cv = make(base + extra);
        if clear(&cv) {
            return cv;
        }
    }
    make(base + 45.0)
}

/// Places a label of size w x h on or beside a flow's curve, where it overlaps nothing.
#[allow(clippy::many_single_char_names)] // geometry: points, widths, offsets
fn place(occ: &Occupied, cv: &Curve, w: f64, h: f64) -> Option<Rect> {
    const TS: [f64; 13] = [
        0.5, 0.42, 0.58, 0.34, 0.66, 0.26, 0.74, 0.46, 0.54, 0.38, 0.62, 0.3, 0.7,
    ];
    const OFFS: [f64; 7] = [0.0, 16.0, -16.0, 32.0, -32.0, 48.0, -48.0];
    for off in OFFS {
        for t in TS {
            let (x, y) = cv.at(t);
            let (nx, ny) = cv.normal(t);
            let (cx, cy) = (x + nx * off, y + ny * off);
            let r = Rect {
                x: (cx - w / 2.0).round(),
                y: (cy - h / 2.0).round(),
                w,
                h,
            };
            if occ.free(&r) {
                return Some(r);
            }
        }
    }
    None
}

/// Point where the segment from a rectangle's centre towards (tx, ty) leaves the rectangle.
#[allow(clippy::many_single_char_names)] // geometry
fn border(r: &Rect, tx: f64, ty: f64) -> (f64, f64) {
    let (cx, cy) = (r.cx(), r.cy());
    let (dx, dy) = (tx - cx, ty - cy);
    if dx.abs() < 1e-9 && dy.abs() < 1e-9 {
        return (cx, cy);
    }
    let sx = if dx.abs() > 1e-9 {
        (r.w / 2.0) / dx.abs()
    } else {
        f64::INFINITY
    };
    let sy = if dy.abs() > 1e-9 {
        (r.h / 2.0) / dy.abs()
    } else {
        f64::INFINITY
    };
    let s = sx.min(sy);
    ((cx + dx * s).round(), (cy + dy * s).round())
}

/// Renders the diagram of a model, colouring flows by their worst open finding.
#[allow(clippy::many_single_char_names)] // geometry: points, rectangles, sizes
pub fn render(model: &Model, findings: &[Finding]) -> Diagram {
    // Zones from the outside in, stable within a kind.
    let mut zones: Vec<(usize, &crate::model::Zone)> = model.zones.iter().enumerate().collect();
    zones.sort_by_key(|(i, z)| (z.kind.depth(), *i));
    let mut zone_rects: HashMap<&str, Rect> = HashMap::new();
    let mut el_rects: HashMap<&str, Rect> = HashMap::new();
    let (mut x, mut y, mut row_h, mut width) = (MARGIN, MARGIN, 0.0_f64, 0.0_f64);
    for (_, z) in &zones {
        let members: Vec<_> = model.elements.iter().filter(|e| e.zone == z.id).collect();
        let n = members.len().max(1);
        let cols = if n <= 3 {
            n
        } else if n <= 8 {
            2 + usize::from(n > 4)
        } else {
            ((n as f64).sqrt().ceil() as usize).min(8)
        };
        let rows = n.div_ceil(cols);
        let title_w = zone_title(z).chars().count() as f64 * TITLE_CHAR_W + 30.0;
        let zw = ((cols as f64) * EL_W + (cols as f64 + 1.0) * GAP)
            .max(title_w.min(3.0 * EL_W + 4.0 * GAP));
        let zh = TITLE_H + (rows as f64) * EL_H + (rows as f64 + 1.0) * GAP;
        if x > MARGIN && x + zw > MAX_ROW_W {
            x = MARGIN;
            y += row_h + ZONE_GAP;
            row_h = 0.0;
        }
        let zr = Rect { x, y, w: zw, h: zh };
        for (k, e) in members.iter().enumerate() {
            let (c, r) = ((k % cols) as f64, (k / cols) as f64);
            el_rects.insert(
                e.id.as_str(),
                Rect {
                    x: x + GAP + c * (EL_W + GAP),
                    y: y + TITLE_H + GAP + r * (EL_H + GAP),
                    w: EL_W,
                    h: EL_H,
                },
            );
        }
        zone_rects.insert(z.id.as_str(), zr);
        x += zw + ZONE_GAP;
        row_h = row_h.max(zh);
        width = width.max(x - ZONE_GAP + MARGIN);
    }
    let diagram_h = y + row_h + MARGIN;

    // Worst open severity per flow.
    let mut worst: HashMap<&str, Severity> = HashMap::new();
    for f in findings
        .iter()
        .filter(|f| f.status == Status::Open && f.target_kind == SubjectKind::Flow)
    {
        let e = worst.entry(f.target.as_str()).or_insert(f.severity);
        *e = (*e).max(f.severity);
    }

    let mut occ = Occupied::new();
    let mut labels = Vec::new();
    let mut overlaps = 0;
    for r in el_rects.values() {
        occ.add(*r);
        labels.push(*r);
    }
    let mut zone_title_rects = HashMap::new();
    for (_, z) in &zones {
        let zr = zone_rects[z.id.as_str()];
        let t = fit_chars(&zone_title(z), ((zr.w - 20.0) / TITLE_CHAR_W) as usize);
        let tr = Rect {
            x: zr.x + 10.0,
            y: zr.y + 8.0,
            w: t.chars().count() as f64 * TITLE_CHAR_W,
            h: 18.0,
        };
        occ.add(tr);
        labels.push(tr);
        zone_title_rects.insert(z.id.as_str(), t);
    }

    let mut svg = String::with_capacity(4096 + model.flows.len() * 400);
    let legend_h = 40.0 + LEGEND_ROW * (model.flows.len() + model.conduits.len()) as f64 + 40.0;
    let total_w = width.max(900.0);
    let total_h = diagram_h + legend_h;
    let _ = write!(
        svg,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{total_w:.0}" height="{total_h:.0}" viewBox="0 0 {total_w:.0} {total_h:.0}" font-family="DejaVu Sans, Arial, sans-serif" font-size="12" role="img" aria-label="Data-flow diagram of {}">"#,
        esc(&model.name)
    );
    svg.push_str("<defs>");
    for (name, c) in [
        ("none", colour(None)),
        ("low", colour(Some(Severity::Low))),
        ("medium", colour(Some(Severity::Medium))),
        ("high", colour(Some(Severity::High))),
        ("critical", colour(Some(Severity::Critical))),
    ] {
        let _ = write!(
            svg,
            r#"<marker id="arrow-{name}" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="{c}"/></marker>"#
        );
    }
    svg.push_str("</defs>");
    let _ = write!(
        svg,
        r##"<rect width="100%" height="100%" fill="#ffffff"/>"##
    );

    // Zones.
    for (_, z) in &zones {
        let zr = zone_rects[z.id.as_str()];
        let fill = if z.kind.is_untrusted() {
            "#fef2f2"
        } else if z.kind.is_ot() {
            "#f0fdf4"
        } else {
            "#f8fafc"
        };
        let _ = write!(
            svg,
            r##"<g class="zone" id="zone-{id}"><rect x="{}" y="{}" width="{}" height="{}" rx="10" fill="{fill}" stroke="#334155" stroke-width="1.5" stroke-dasharray="8 5"/><text x="{}" y="{}" font-weight="bold" font-size="13" fill="#0f172a">{}</text></g>"##,
            zr.x,
            zr.y,
            zr.w,
            zr.h,
            zr.x + 10.0,
            zr.y + 22.0,
            esc(&zone_title_rects[z.id.as_str()]),
            id = esc(&z.id)
        );
    }
    // Conduits: bands between zone borders.
    let mut conduit_labels = Vec::new();
    for (k, c) in model.conduits.iter().enumerate() {
        let (Some(a), Some(b)) = (
            zone_rects.get(c.zones[0].as_str()),
            zone_rects.get(c.zones[1].as_str()),
        ) else {
            continue;
        };
        let p = border(a, b.cx(), b.cy());
        let q = border(b, a.cx(), a.cy());
        let col = if c.encrypted { "#0e7490" } else { "#64748b" };
        let _ = write!(
            svg,
            r#"<line class="conduit" x1="{}" y1="{}" x2="{}" y2="{}" stroke="{col}" stroke-opacity="0.25" stroke-width="14" stroke-linecap="round"/>"#,
            p.0, p.1, q.0, q.1
        );
        let text = format!(
            "C{} {}",
            k + 1,
            fit(c.name.as_deref().unwrap_or(&c.id), 140.0)
        );
        let w = (text.chars().count() as f64 * CHAR_W + 10.0).round();
        let straight = Curve {
            p,
            c: (f64::midpoint(p.0, q.0), f64::midpoint(p.1, q.1)),
            q,
        };
        if let Some(r) = place(&occ, &straight, w, 18.0) {
            occ.add(r);
            labels.push(r);
            conduit_labels.push((r, text, col));
        } else {
            overlaps += 1;
        }
    }
    // Flows.
    let mut badges = Vec::new();
    let mut el_occ = Occupied::new();
    for r in el_rects.values() {
        el_occ.add(*r);
    }
    let mut lanes: HashMap<(&str, &str), usize> = HashMap::new();
    for (k, f) in model.flows.iter().enumerate() {
        let (Some(a), Some(b)) = (el_rects.get(f.from.as_str()), el_rects.get(f.to.as_str()))
        else {
            continue;
        };
        let sev = worst.get(f.id.as_str()).copied();
        let key = if f.from <= f.to {
            (f.from.as_str(), f.to.as_str())
        } else {
            (f.to.as_str(), f.from.as_str())
        };
        let lane = lanes.entry(key).or_insert(0);
        // Flows in the other direction between the same pair take their own lane too.
        let cv = route(
            &el_occ,
            a,
            b,
            if f.from <= f.to {
                *lane
            } else {
                *lane + usize::from(*lane == 0)
            },
        );
        *lane += 1;
        let (p, q) = (cv.p, cv.q);
        let (w, name) = match sev {
            Some(Severity::Critical) => (2.6, "critical"),
            Some(Severity::High) => (2.2, "high"),
            Some(Severity::Medium) => (1.8, "medium"),
            Some(Severity::Low) => (1.4, "low"),
            _ => (1.2, "none"),
        };
        let dash = if flow_encrypted(f) {
            ""
        } else {
            r#" stroke-dasharray="5 3""#
        };
        let _ = write!(
            svg,
            r#"<path class="flow" id="flow-{}" d="M{} {} Q{} {} {} {}" fill="none" stroke="{}" stroke-width="{w}"{dash} marker-end="url(#arrow-{name})"><title>{}</title></path>"#,
            esc(&f.id),
            p.0,
            p.1,
            cv.c.0.round(),
            cv.c.1.round(),
            q.0,
            q.1,
            colour(sev),
            esc(&format!("{} → {} ({})", f.from, f.to, f.protocol))
        );
        let label = (k + 1).to_string();
        let bw = (label.len() as f64 * CHAR_W + 10.0).max(20.0).round();
        if let Some(r) = place(&occ, &cv, bw, 18.0) {
            occ.add(r);
            labels.push(r);
            badges.push((r, label, colour(sev)));
        } else {
            overlaps += 1;
            let m = cv.at(0.5);
            let r = Rect {
                x: (m.0 - bw / 2.0).round(),
                y: (m.1 - 9.0).round(),
                w: bw,
                h: 18.0,
            };
            labels.push(r);
            badges.push((r, label, colour(sev)));
        }
    }
    // Elements above the lines.
    for e in &model.elements {
        let Some(r) = el_rects.get(e.id.as_str()) else {
            continue;
        };
        let crit = e.criticality.safety >= crate::model::Level::High;
        let stroke = if crit { "#b91c1c" } else { "#1e293b" };
        let sub = {
            let mut s = e.kind.as_str().replace('_', " ");
            if let Some(ip) = e.ip.first() {
                let _ = write!(s, " · {ip}");
            }
            if crit {
                s.push_str(" · safety");
            }
            s
        };
        let _ = write!(
            svg,
            r##"<g class="element" id="el-{}"><title>{}</title><rect x="{}" y="{}" width="{EL_W}" height="{EL_H}" rx="6" fill="#ffffff" stroke="{stroke}" stroke-width="{}"/><text x="{}" y="{}" font-weight="bold" fill="#0f172a">{}</text><text x="{}" y="{}" font-size="11" fill="#475569">{}</text></g>"##,
            esc(&e.id),
            esc(e.label()),
            r.x,
            r.y,
            if crit { 2.5 } else { 1.2 },
            r.x + 8.0,
            r.y + 20.0,
            esc(&fit_chars(
                e.label(),
                ((EL_W - 16.0) / BOLD_CHAR_W) as usize
            )),
            r.x + 8.0,
            r.y + 37.0,
            esc(&fit(&sub, EL_W - 16.0)),
        );
    }
    for (r, text, col) in &conduit_labels {
        let _ = write!(
            svg,
            r##"<g class="conduit-label"><rect x="{}" y="{}" width="{}" height="{}" rx="9" fill="#ffffff" stroke="{col}"/><text x="{}" y="{}" font-size="11" fill="{col}">{}</text></g>"##,
            r.x,
            r.y,
            r.w,
            r.h,
            r.x + 5.0,
            r.y + 13.0,
            esc(text)
        );
    }
    for (r, text, col) in &badges {
        let _ = write!(
            svg,
            r##"<g class="badge"><rect x="{}" y="{}" width="{}" height="{}" rx="9" fill="{col}"/><text x="{}" y="{}" font-size="11" font-weight="bold" fill="#ffffff" text-anchor="middle">{}</text></g>"##,
            r.x,
            r.y,
            r.w,
            r.h,
            r.cx(),
            r.y + 13.0,
            esc(text)
        );
    }
    // Legend.
    let mut ly = diagram_h + 10.0;
    let _ = write!(
        svg,
        r#"<text x="{MARGIN}" y="{ly}" font-weight="bold" font-size="13">Flows (dashed = not encrypted; colour = worst open finding)</text>"#
    );
    ly += 22.0;
    for (k, f) in model.flows.iter().enumerate() {
        let sev = worst.get(f.id.as_str()).copied();
        let port = f.port.map(|p| format!("/{p}")).unwrap_or_default();
        let tags = format!(
            "{}{}{}",
            if flow_encrypted(f) {
                " · encrypted"
            } else {
                " · clear"
            },
            if f.authenticated || f.mutual_auth {
                " · authenticated"
            } else {
                ""
            },
            if f.write { " · write" } else { "" }
        );
        let _ = write!(
            svg,
            r##"<g class="legend-row"><rect x="{MARGIN}" y="{}" width="30" height="16" rx="8" fill="{}"/><text x="{}" y="{}" font-size="11" fill="#ffffff" text-anchor="middle" font-weight="bold">{}</text><text x="{}" y="{}" font-size="12">{}</text></g>"##,
            ly - 12.0,
            colour(sev),
            MARGIN + 15.0,
            ly,
            k + 1,
            MARGIN + 40.0,
            ly,
            esc(&format!(
                "{} → {}  {}{port}{tags}  [{}]  {}",
                f.from,
                f.to,
                f.protocol,
                sev.map_or("no open finding", Severity::as_str),
                f.id
            ))
        );
        ly += LEGEND_ROW;
    }
    for (k, c) in model.conduits.iter().enumerate() {
        let _ = write!(
            svg,
            r#"<text x="{MARGIN}" y="{ly}" font-size="12">{}</text>"#,
            esc(&format!(
                "C{} {}: {} ↔ {}, SL-T {}{}{}",
                k + 1,
                c.name.as_deref().unwrap_or(&c.id),
                c.zones[0],
                c.zones[1],
                c.sl_target,
                if c.encrypted { ", encrypted" } else { "" },
                if c.via.is_empty() {
                    String::new()
                } else {
                    format!(", via {}", c.via.join(", "))
                }
            ))
        );
        ly += LEGEND_ROW;
    }
    svg.push_str("</svg>\n");
    Diagram {
        svg,
        width: total_w,
        height: total_h,
        labels,
        overlaps,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn border_point_lies_on_the_rectangle_edge() {
        let r = Rect {
            x: 0.0,
            y: 0.0,
            w: 100.0,
            h: 50.0,
        };
        assert_eq!(border(&r, 200.0, 25.0), (100.0, 25.0));
        assert_eq!(border(&r, 50.0, -100.0), (50.0, 0.0));
    }

    #[test]
    fn escapes_markup() {
        assert_eq!(esc("a<b & \"c\""), "a&lt;b &amp; &quot;c&quot;");
    }

    #[test]
    fn long_names_are_shortened_to_fit() {
        let s = fit("a very long element name that cannot fit in the box", 100.0);
        assert!(s.chars().count() <= 15 && s.ends_with('…'), "{s}");
    }
}
