/* panel_pipeline: placeholder until the panel is written. */
#include "ui/panels.h"
#include "ui/style.h"

void panel_pipeline_draw(const App *a, const Engine *e, Canvas *c, Rect r)
{
    (void)e;
    canvas_box(c, r, STYLE_BORDER, TR(a, "Pipeline", "流水线"));
}
