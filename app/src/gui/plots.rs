//! Plots that keep the screen scrollable.

use egui_plot::Plot;

/// A plot without zoom, drag, scroll or reset gestures: they would trap the
/// screen's scrolling, and these charts show fixed data.
pub fn static_plot(id: &str, height: f32) -> Plot<'_> {
    Plot::new(id)
        .height(height)
        .allow_zoom(false)
        .allow_drag(false)
        .allow_scroll(false)
        .allow_boxed_zoom(false)
        .allow_double_click_reset(false)
}
