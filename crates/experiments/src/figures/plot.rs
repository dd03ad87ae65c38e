//! Figures in pure Rust: line charts drawn with plotters to PNG and SVG, with a bundled font
//! (DejaVu Sans, see `assets/DejaVuSans-LICENSE.txt`) so no system font library is needed.

use std::path::Path;
use std::sync::Once;

use anyhow::{Context, anyhow};
use plotters::coord::Shift;
use plotters::coord::ranged1d::{Ranged, ValueFormatter};
use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;
use plotters::style::FontStyle;

static FONT: &[u8] = include_bytes!("../../assets/DejaVuSans.ttf");
static REGISTER: Once = Once::new();

fn register_font() {
    REGISTER.call_once(|| {
        // The font is compiled in; registering it cannot fail unless the file is damaged, and the
        // test below would catch that.
        let _ = plotters::style::register_font("sans-serif", FontStyle::Normal, FONT);
    });
}

/// Colours for series, in order (Tableau 10).
pub const PALETTE: [RGBColor; 7] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
];

/// One line with an optional band (for example the mean over seeds with its min-max range) and
/// optional error bars.
#[derive(Debug, Clone, Default)]
pub struct Series {
    /// Legend text.
    pub name: String,
    /// `(x, y)` points, in x order.
    pub points: Vec<(f64, f64)>,
    /// `(x, low, high)` band around the line; empty for none.
    pub band: Vec<(f64, f64, f64)>,
    /// `(x, y, low, high)` vertical error bars; empty for none.
    pub errors: Vec<(f64, f64, f64, f64)>,
    /// Index into [`PALETTE`].
    pub color: usize,
    /// Draw the points as separate markers without a line (values quoted from a paper's text,
    /// which a line would wrongly present as a measured curve).
    pub markers_only: bool,
}

/// A horizontal reference line (for example a value the paper reports).
#[derive(Debug, Clone)]
pub struct HLine {
    /// Legend text.
    pub name: String,
    /// Height.
    pub y: f64,
    /// Index into [`PALETTE`].
    pub color: usize,
}

/// A line chart.
#[derive(Debug, Clone, Default)]
pub struct LineChart {
    /// Title above the plot.
    pub title: String,
    /// X-axis label.
    pub x_label: String,
    /// Y-axis label.
    pub y_label: String,
    /// The lines.
    pub series: Vec<Series>,
    /// Dashed reference lines.
    pub hlines: Vec<HLine>,
    /// Y range; computed from the data when `None`.
    pub y_range: Option<(f64, f64)>,
    /// Logarithmic x axis (all x must be positive).
    pub log_x: bool,
    /// Where the legend goes.
    pub legend: Legend,
}

/// A corner of the plot for the legend.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Legend {
    /// Lower right (the default: accuracy curves rise to the right).
    #[default]
    LowerRight,
    /// Upper left.
    UpperLeft,
}

/// `stem` with `suffix` appended to its file name (`fig.v1` + `.png` = `fig.v1.png`, where
/// `with_extension` would give `fig.png`).
pub fn with_suffix(stem: &Path, suffix: &str) -> std::path::PathBuf {
    let mut s = stem.as_os_str().to_owned();
    s.push(suffix);
    std::path::PathBuf::from(s)
}

/// Size of the figures in pixels.
pub const SIZE: (u32, u32) = (900, 560);

fn min_max(vals: impl Iterator<Item = f64>) -> Option<(f64, f64)> {
    let (a, b) = vals
        .filter(|v| v.is_finite())
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| (a.min(v), b.max(v)));
    a.is_finite().then_some((a, b))
}

impl LineChart {
    fn ranges(&self) -> ((f64, f64), (f64, f64)) {
        let xs = self.series.iter().flat_map(|s| s.points.iter().map(|p| p.0));
        let (x0, x1) = match min_max(xs.filter(|&x| !self.log_x || x > 0.0)) {
            // Whole decades, so that a narrow range still shows labelled ticks.
            Some((a, b)) if self.log_x => {
                (0.98 * 10f64.powf(a.log10().floor()), 1.02 * 10f64.powf((b * 1.01).log10().ceil()))
            }
            Some((a, b)) => (a, b.max(a + 1.0)),
            None if self.log_x => (1.0, 10.0),
            None => (0.0, 1.0),
        };
        let y = self.y_range.unwrap_or_else(|| {
            let ys = self
                .series
                .iter()
                .flat_map(|s| {
                    s.points
                        .iter()
                        .map(|p| p.1)
                        .chain(s.band.iter().flat_map(|b| [b.1, b.2]))
                        .chain(s.errors.iter().flat_map(|e| [e.2, e.3]))
                })
                .chain(self.hlines.iter().map(|h| h.y));
            match min_max(ys) {
                Some((a, b)) => {
                    let pad = ((b - a) * 0.08).max(0.5);
                    (a - pad, b + pad)
                }
                None => (0.0, 1.0),
            }
        });
        ((x0, x1), y)
    }

    fn draw<DB: DrawingBackend>(&self, root: DrawingArea<DB, Shift>) -> anyhow::Result<()>
    where
        DB::ErrorType: 'static,
    {
        let err = |e: DrawingAreaErrorKind<DB::ErrorType>| anyhow!("drawing failed: {e:?}");
        root.fill(&WHITE).map_err(err)?;
        let ((x0, x1), (y0, y1)) = self.ranges();
        let mut builder = ChartBuilder::on(&root);
        builder
            .caption(&self.title, ("sans-serif", 22))
            .margin(16)
            .x_label_area_size(48)
            .y_label_area_size(64);
        if self.log_x {
            let chart = builder.build_cartesian_2d((x0..x1).log_scale(), y0..y1).map_err(err)?;
            self.draw_body(chart, (x0, x1), (y0, y1))?;
        } else {
            let chart = builder.build_cartesian_2d(x0..x1, y0..y1).map_err(err)?;
            self.draw_body(chart, (x0, x1), (y0, y1))?;
        }
        root.present().map_err(err)?;
        Ok(())
    }

    fn draw_body<'a, DB: DrawingBackend + 'a, X>(
        &self,
        mut chart: ChartContext<'a, DB, Cartesian2d<X, RangedCoordf64>>,
        (x0, x1): (f64, f64),
        (y0, y1): (f64, f64),
    ) -> anyhow::Result<()>
    where
        DB::ErrorType: 'static,
        X: Ranged<ValueType = f64> + ValueFormatter<f64>,
    {
        let err = |e: DrawingAreaErrorKind<DB::ErrorType>| anyhow!("drawing failed: {e:?}");
        chart
            .configure_mesh()
            .x_desc(&self.x_label)
            .y_desc(&self.y_label)
            .label_style(("sans-serif", 14))
            .axis_desc_style(("sans-serif", 16))
            .light_line_style(RGBColor(235, 235, 235))
            .x_label_formatter(&|x| format_tick(*x))
            .y_label_formatter(&|y| format_tick(*y))
            .draw()
            .map_err(err)?;
        for s in &self.series {
            let color = PALETTE[s.color % PALETTE.len()];
            if !s.band.is_empty() {
                let mut poly: Vec<(f64, f64)> = s.band.iter().map(|b| (b.0, b.2)).collect();
                poly.extend(s.band.iter().rev().map(|b| (b.0, b.1)));
                chart
                    .draw_series(std::iter::once(Polygon::new(poly, color.mix(0.18).filled())))
                    .map_err(err)?;
            }
            chart
                .draw_series(
                    s.errors.iter().map(|&(x, y, lo, hi)| {
                        ErrorBar::new_vertical(x, lo, y, hi, color.stroke_width(1), 8)
                    }),
                )
                .map_err(err)?;
            if s.markers_only {
                let inside = s.points.iter().filter(|p| (y0..=y1).contains(&p.1));
                chart
                    .draw_series(inside.map(|&p| TriangleMarker::new(p, 7, color.filled())))
                    .map_err(err)?
                    .label(&s.name)
                    .legend(move |(x, y)| TriangleMarker::new((x + 10, y), 7, color.filled()));
                continue;
            }
            // Lines are cut at the y range rather than flattened onto its edge.
            let pieces = clip_y(&s.points, y0, y1);
            chart
                .draw_series(LineSeries::new(
                    pieces.first().cloned().unwrap_or_default(),
                    color.stroke_width(2),
                ))
                .map_err(err)?
                .label(&s.name)
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], color.stroke_width(2)));
            for piece in pieces.iter().skip(1) {
                chart.draw_series(LineSeries::new(piece.clone(), color.stroke_width(2))).map_err(err)?;
            }
            // Markers while they stay apart.
            if s.points.len() <= MAX_MARKERS {
                chart
                    .draw_series(
                        s.points
                            .iter()
                            .filter(|p| (y0..=y1).contains(&p.1))
                            .map(|&p| Circle::new(p, 3, color.filled())),
                    )
                    .map_err(err)?;
            }
        }
        for h in &self.hlines {
            let color = PALETTE[h.color % PALETTE.len()];
            chart
                .draw_series(DashedLineSeries::new(vec![(x0, h.y), (x1, h.y)], 8, 6, color.stroke_width(1)))
                .map_err(err)?
                .label(&h.name)
                .legend(move |(x, y)| {
                    EmptyElement::at((x, y))
                        + PathElement::new(vec![(0, 0), (7, 0)], color.stroke_width(1))
                        + PathElement::new(vec![(13, 0), (20, 0)], color.stroke_width(1))
                });
        }
        chart
            .configure_series_labels()
            .position(match self.legend {
                Legend::LowerRight => SeriesLabelPosition::LowerRight,
                Legend::UpperLeft => SeriesLabelPosition::UpperLeft,
            })
            .background_style(WHITE.mix(0.85))
            .border_style(RGBColor(200, 200, 200))
            .label_font(("sans-serif", 14))
            .draw()
            .map_err(err)?;
        Ok(())
    }

    /// Writes `stem.png` and `stem.svg` (atomically).
    pub fn save(&self, stem: &Path) -> anyhow::Result<()> {
        save_figure(stem, SIZE, |root| self.draw(root), |root| self.draw(root))
    }
}

/// Writes `stem.png` and `stem.svg` with `charts` side by side, each of [`SIZE`].
pub fn save_row(charts: &[LineChart], stem: &Path) -> anyhow::Result<()> {
    let n = charts.len().max(1) as u32;
    let size = (SIZE.0 * n, SIZE.1);
    fn draw_all<DB: DrawingBackend>(charts: &[LineChart], root: DrawingArea<DB, Shift>) -> anyhow::Result<()>
    where
        DB::ErrorType: 'static,
    {
        let areas = root.split_evenly((1, charts.len().max(1)));
        for (chart, area) in charts.iter().zip(areas) {
            chart.draw(area)?;
        }
        Ok(())
    }
    save_figure(stem, size, |root| draw_all(charts, root), |root| draw_all(charts, root))
}

/// Draws a figure of `size` twice, as SVG and as a bitmap, and writes `stem.svg` and `stem.png`
/// atomically.
pub fn save_figure(
    stem: &Path,
    size: (u32, u32),
    svg: impl FnOnce(DrawingArea<SVGBackend<'_>, Shift>) -> anyhow::Result<()>,
    bitmap: impl FnOnce(DrawingArea<BitMapBackend<'_>, Shift>) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    register_font();
    let mut text = String::new();
    svg(SVGBackend::with_string(&mut text, size).into_drawing_area())?;
    save_png(stem, size, bitmap)?;
    let path = with_suffix(stem, ".svg");
    innate_encodings::checkpoint::write_atomic(&path, text.as_bytes())
        .with_context(|| format!("cannot write {}", path.display()))?;
    Ok(())
}

/// Draws a figure of `size` as a bitmap only and writes `stem.png` atomically (for heat maps of
/// many thousand cells, whose SVG would take megabytes).
pub fn save_png(
    stem: &Path,
    size: (u32, u32),
    bitmap: impl FnOnce(DrawingArea<BitMapBackend<'_>, Shift>) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    register_font();
    let (w, h) = size;
    let mut rgb = vec![0u8; (w * h * 3) as usize];
    bitmap(BitMapBackend::with_buffer(&mut rgb, size).into_drawing_area())?;
    let img = image::RgbImage::from_raw(w, h, rgb).ok_or_else(|| anyhow!("bitmap size mismatch"))?;
    let mut png = std::io::Cursor::new(Vec::new());
    img.write_to(&mut png, image::ImageFormat::Png)?;
    let path = with_suffix(stem, ".png");
    innate_encodings::checkpoint::write_atomic(&path, png.get_ref())
        .with_context(|| format!("cannot write {}", path.display()))?;
    Ok(())
}

/// Series with more points than this are drawn without markers.
const MAX_MARKERS: usize = 200;

/// The parts of the polyline `points` with `y0 <= y <= y1`, cut where it crosses those edges.
fn clip_y(points: &[(f64, f64)], y0: f64, y1: f64) -> Vec<Vec<(f64, f64)>> {
    let inside = |p: &(f64, f64)| (y0..=y1).contains(&p.1);
    let mut pieces: Vec<Vec<(f64, f64)>> = Vec::new();
    if points.len() == 1 && inside(&points[0]) {
        pieces.push(points.to_vec());
    }
    let mut open = false;
    for w in points.windows(2) {
        let (a, b) = (w[0], w[1]);
        let at = |t: f64| (a.0 + t * (b.0 - a.0), a.1 + t * (b.1 - a.1));
        let (t0, t1) = if a.1 == b.1 {
            if inside(&a) { (0.0, 1.0) } else { (1.0, 0.0) }
        } else {
            let (ta, tb) = ((y0 - a.1) / (b.1 - a.1), (y1 - a.1) / (b.1 - a.1));
            (ta.min(tb).max(0.0), ta.max(tb).min(1.0))
        };
        if t0 > t1 {
            open = false;
            continue;
        }
        if !(open && t0 == 0.0) {
            pieces.push(vec![at(t0)]);
        }
        if let Some(p) = pieces.last_mut() {
            p.push(at(t1));
        }
        open = t1 == 1.0;
    }
    pieces
}

/// Axis numbers without needless decimals: `1000`, `97.5`, `0.25`.
fn format_tick(v: f64) -> String {
    if v == v.round() && v.abs() < 1e15 {
        format!("{v:.0}")
    } else {
        let s = format!("{v:.3}");
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn lines_are_cut_at_the_y_range() {
        let pieces = super::clip_y(&[(0.0, 50.0), (1.0, 70.0), (2.0, 50.0), (3.0, 70.0)], 60.0, 100.0);
        assert_eq!(pieces, vec![vec![(0.5, 60.0), (1.0, 70.0), (1.5, 60.0)], vec![(2.5, 60.0), (3.0, 70.0)]]);
        let all = super::clip_y(&[(0.0, 1.0), (1.0, 2.0), (2.0, 3.0)], 0.0, 5.0);
        assert_eq!(all, vec![vec![(0.0, 1.0), (1.0, 2.0), (2.0, 3.0)]]);
        assert!(super::clip_y(&[(0.0, -1.0), (1.0, -2.0)], 0.0, 5.0).is_empty());
    }

    #[test]
    fn ticks() {
        assert_eq!(super::format_tick(1000.0), "1000");
        assert_eq!(super::format_tick(97.5), "97.5");
        assert_eq!(super::format_tick(0.25), "0.25");
    }

    use super::*;

    #[test]
    fn draws_png_and_svg_with_text() {
        let dir = tempfile::tempdir().unwrap();
        let chart = LineChart {
            title: "test".into(),
            x_label: "x".into(),
            y_label: "y".into(),
            series: vec![
                Series {
                    name: "line".into(),
                    points: vec![(0.0, 1.0), (1.0, 2.0)],
                    band: vec![(0.0, 0.5, 1.5), (1.0, 1.5, 2.5)],
                    errors: vec![(1.0, 2.0, 1.8, 2.2)],
                    color: 0,
                    markers_only: false,
                },
                Series {
                    name: "quoted".into(),
                    points: vec![(0.5, 1.2), (0.8, 2.4)],
                    color: 5,
                    markers_only: true,
                    ..Series::default()
                },
            ],
            hlines: vec![HLine { name: "ref".into(), y: 1.5, color: 1 }],
            legend: Legend::UpperLeft,
            ..LineChart::default()
        };
        chart.save(&dir.path().join("fig")).unwrap();
        let png = image::open(dir.path().join("fig.png")).unwrap();
        assert_eq!((png.width(), png.height()), SIZE);
        let svg = std::fs::read_to_string(dir.path().join("fig.svg")).unwrap();
        assert!(
            svg.contains("<svg") && svg.contains("line") && svg.contains("ref") && svg.contains("quoted")
        );
        // The quoted values are two triangles (three-point polygons), with no line joining them.
        let brown = "#8C564B";
        assert_eq!(svg.lines().filter(|l| l.contains("<polygon") && l.contains(brown)).count(), 3, "{svg}");
        assert!(!svg.lines().any(|l| l.contains("<polyline") && l.contains(brown)), "{svg}");
        // Text was rendered into the bitmap: the title region is not blank.
        let rgb = png.to_rgb8();
        let dark = (0..SIZE.0)
            .flat_map(|x| (0..40).map(move |y| (x, y)))
            .filter(|&(x, y)| rgb.get_pixel(x, y)[0] < 128)
            .count();
        assert!(dark > 0, "title text was not drawn");
        let log = LineChart {
            log_x: true,
            series: vec![Series { points: vec![(0.1, 1.0), (100.0, 2.0)], ..Series::default() }],
            ..LineChart::default()
        };
        log.save(&dir.path().join("log")).unwrap();
        let svg = std::fs::read_to_string(dir.path().join("log.svg")).unwrap();
        for tick in ["0.1", "1", "10", "100"] {
            assert!(svg.lines().any(|l| l.trim() == tick), "no tick {tick}");
        }
    }
}
