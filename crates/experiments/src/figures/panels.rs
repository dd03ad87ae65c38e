//! Image figures: grids of heat maps (weight images) and maps of Gaussian gene fields.

use std::path::Path;

use anyhow::anyhow;
use plotters::coord::Shift;
use plotters::prelude::*;

use super::plot::{PALETTE, save_figure, save_png};

/// One heat map: `rows x cols` values, drawn with a diverging colour map symmetric about zero.
#[derive(Debug, Clone)]
pub struct Panel {
    /// Title above the panel.
    pub title: String,
    /// Number of rows.
    pub rows: usize,
    /// Number of columns.
    pub cols: usize,
    /// Values, row-major.
    pub values: Vec<f32>,
    /// The magnitude drawn at full colour [default: the panel's largest]; panels that share one
    /// compare by colour.
    pub scale: Option<f32>,
}

/// A grid of heat maps with row labels: `rows[i]` is a label and its panels.
#[derive(Debug, Clone, Default)]
pub struct PanelGrid {
    /// Title of the figure.
    pub title: String,
    /// Labelled rows of panels.
    pub rows: Vec<(String, Vec<Panel>)>,
}

/// Blue (negative) - white - red (positive), for `t` in `[-1, 1]`.
pub fn diverging(t: f32) -> RGBColor {
    let t = t.clamp(-1.0, 1.0);
    let (r, g, b) =
        if t >= 0.0 { (1.0, 1.0 - 0.8 * t, 1.0 - 0.85 * t) } else { (1.0 + 0.85 * t, 1.0 + 0.6 * t, 1.0) };
    RGBColor((255.0 * r) as u8, (255.0 * g) as u8, (255.0 * b) as u8)
}

const CELL: u32 = 84;
const LABEL_W: u32 = 150;
const TITLE_H: u32 = 44;
const PANEL_TITLE_H: u32 = 18;

impl PanelGrid {
    fn size(&self) -> (u32, u32) {
        let cols = self.rows.iter().map(|r| r.1.len()).max().unwrap_or(1) as u32;
        (LABEL_W + cols * (CELL + 6) + 10, TITLE_H + self.rows.len() as u32 * (CELL + PANEL_TITLE_H + 8) + 10)
    }

    fn draw<DB: DrawingBackend>(&self, root: DrawingArea<DB, Shift>) -> anyhow::Result<()>
    where
        DB::ErrorType: 'static,
    {
        let err = |e: DrawingAreaErrorKind<DB::ErrorType>| anyhow!("drawing failed: {e:?}");
        root.fill(&WHITE).map_err(err)?;
        root.draw(&Text::new(self.title.clone(), (12, 12), ("sans-serif", 20).into_font())).map_err(err)?;
        for (r, (label, panels)) in self.rows.iter().enumerate() {
            let y0 = (TITLE_H + r as u32 * (CELL + PANEL_TITLE_H + 8)) as i32;
            root.draw(&Text::new(
                label.clone(),
                (10, y0 + PANEL_TITLE_H as i32 + CELL as i32 / 2 - 8),
                ("sans-serif", 14).into_font(),
            ))
            .map_err(err)?;
            for (c, p) in panels.iter().enumerate() {
                let x0 = (LABEL_W + c as u32 * (CELL + 6)) as i32;
                root.draw(&Text::new(p.title.clone(), (x0 + 2, y0 + 2), ("sans-serif", 12).into_font()))
                    .map_err(err)?;
                let top = y0 + PANEL_TITLE_H as i32;
                let scale =
                    p.scale.unwrap_or_else(|| p.values.iter().fold(0f32, |m, v| m.max(v.abs()))).max(1e-12);
                let (cw, ch) = (CELL as f64 / p.cols as f64, CELL as f64 / p.rows as f64);
                for i in 0..p.rows {
                    for j in 0..p.cols {
                        let v = p.values[i * p.cols + j] / scale;
                        let a = (x0 + (j as f64 * cw) as i32, top + (i as f64 * ch) as i32);
                        let b = (
                            x0 + ((j + 1) as f64 * cw).ceil() as i32,
                            top + ((i + 1) as f64 * ch).ceil() as i32,
                        );
                        root.draw(&Rectangle::new([a, b], diverging(v).filled())).map_err(err)?;
                    }
                }
                root.draw(&Rectangle::new(
                    [(x0, top), (x0 + CELL as i32, top + CELL as i32)],
                    RGBColor(180, 180, 180),
                ))
                .map_err(err)?;
            }
        }
        root.present().map_err(err)?;
        Ok(())
    }

    /// Writes `stem.png` (only: one rectangle per weight would make an SVG of megabytes).
    pub fn save(&self, stem: &Path) -> anyhow::Result<()> {
        save_png(stem, self.size(), |r| self.draw(r))
    }
}

/// Gaussian gene fields before and after training: one circle per gene (centre, radius = width)
/// on the `[-1, 1]²` grid of neurons, start and end joined by an arrow.
#[derive(Debug, Clone, Default)]
pub struct FieldMap {
    /// Title of the figure.
    pub title: String,
    /// Grid size (rows, columns) drawn as dots.
    pub grid: (usize, usize),
    /// Per gene: start centre `(x, y)` and width.
    pub start: Vec<((f32, f32), f32)>,
    /// Per gene: trained centre and width (the genome file: the best checkpoint).
    pub end: Vec<((f32, f32), f32)>,
    /// An image drawn faintly underneath (row-major, `grid` sized), such as the mean digit.
    pub backdrop: Option<Vec<f32>>,
}

const MAP: u32 = 600;

impl FieldMap {
    fn draw<DB: DrawingBackend>(&self, root: DrawingArea<DB, Shift>) -> anyhow::Result<()>
    where
        DB::ErrorType: 'static,
    {
        let err = |e: DrawingAreaErrorKind<DB::ErrorType>| anyhow!("drawing failed: {e:?}");
        root.fill(&WHITE).map_err(err)?;
        let mut chart = ChartBuilder::on(&root)
            .caption(&self.title, ("sans-serif", 18))
            .margin(12)
            .x_label_area_size(30)
            .y_label_area_size(40)
            .build_cartesian_2d(-1.3f64..1.3, 1.3f64..-1.3)
            .map_err(err)?;
        chart.configure_mesh().disable_mesh().label_style(("sans-serif", 12)).draw().map_err(err)?;
        let (rows, cols) = self.grid;
        let lin = |n: usize, i: usize| {
            if n > 1 { -1.0 + 2.0 * i as f64 / (n - 1) as f64 } else { 0.0 }
        };
        if let Some(img) = &self.backdrop {
            let max = img.iter().fold(0f32, |m, v| m.max(*v)).max(1e-12);
            let (dx, dy) = (1.0 / cols.max(1) as f64, 1.0 / rows.max(1) as f64);
            chart
                .draw_series((0..rows).flat_map(|i| (0..cols).map(move |j| (i, j))).map(|(i, j)| {
                    let v = 1.0 - 0.35 * img[i * cols + j] / max;
                    let g = (255.0 * v) as u8;
                    let (x, y) = (lin(cols, j), lin(rows, i));
                    Rectangle::new([(x - dx, y - dy), (x + dx, y + dy)], RGBColor(g, g, g).filled())
                }))
                .map_err(err)?;
        }
        chart
            .draw_series(
                (0..rows).flat_map(|i| (0..cols).map(move |j| (i, j))).map(|(i, j)| {
                    Circle::new((lin(cols, j), lin(rows, i)), 1, RGBColor(170, 170, 170).filled())
                }),
            )
            .map_err(err)?;
        let (start, end) = (PALETTE[2], PALETTE[3]);
        for (set, color, name) in [(&self.start, start, "start"), (&self.end, end, "trained")] {
            chart
                .draw_series(set.iter().map(|&((x, y), w)| {
                    let pts: Vec<(f64, f64)> = (0..=48)
                        .map(|k| {
                            let a = k as f64 / 48.0 * std::f64::consts::TAU;
                            (x as f64 + w as f64 * a.cos(), y as f64 + w as f64 * a.sin())
                        })
                        .collect();
                    PathElement::new(pts, color.stroke_width(2))
                }))
                .map_err(err)?
                .label(format!("{name}: centre and width"))
                .legend(move |(x, y)| Circle::new((x + 10, y), 5, color.stroke_width(2)));
            chart
                .draw_series(
                    set.iter().map(|&((x, y), _)| Circle::new((x as f64, y as f64), 3, color.filled())),
                )
                .map_err(err)?;
        }
        chart
            .draw_series(self.start.iter().zip(&self.end).map(|(&((x0, y0), _), &((x1, y1), _))| {
                PathElement::new(
                    vec![(x0 as f64, y0 as f64), (x1 as f64, y1 as f64)],
                    BLACK.mix(0.5).stroke_width(1),
                )
            }))
            .map_err(err)?;
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperRight)
            .background_style(WHITE.mix(0.9))
            .border_style(RGBColor(200, 200, 200))
            .label_font(("sans-serif", 13))
            .draw()
            .map_err(err)?;
        root.present().map_err(err)?;
        Ok(())
    }

    /// Writes `stem.png` and `stem.svg`.
    pub fn save(&self, stem: &Path) -> anyhow::Result<()> {
        save_figure(stem, (MAP, MAP), |r| self.draw(r), |r| self.draw(r))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colour_map_ends_and_middle() {
        assert_eq!(diverging(0.0), RGBColor(255, 255, 255));
        assert!(diverging(1.0).0 > diverging(1.0).2);
        assert!(diverging(-1.0).2 > diverging(-1.0).0);
    }

    #[test]
    fn draws_panels_and_fields() {
        let dir = tempfile::tempdir().unwrap();
        let panel = Panel {
            title: "0".into(),
            rows: 2,
            cols: 3,
            values: vec![-1.0, 0.0, 1.0, 0.5, -0.5, 0.0],
            scale: None,
        };
        let grid =
            PanelGrid { title: "weights".into(), rows: vec![("direct".into(), vec![panel.clone(), panel])] };
        grid.save(&dir.path().join("w")).unwrap();
        assert_eq!(&std::fs::read(dir.path().join("w.png")).unwrap()[1..4], b"PNG");
        assert!(!dir.path().join("w.svg").exists());
        let map = FieldMap {
            title: "fields".into(),
            grid: (3, 3),
            start: vec![((0.0, 0.0), 0.3)],
            end: vec![((0.5, -0.2), 0.4)],
            backdrop: Some(vec![0.0; 9]),
        };
        map.save(&dir.path().join("f")).unwrap();
        assert!(std::fs::read_to_string(dir.path().join("f.svg")).unwrap().contains("centre and width"));
    }
}
