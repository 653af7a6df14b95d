/* panel_chart: placeholder until the panel is written. */
#include "ui/panels.h"
#include "ui/style.h"

void panel_chart_draw(const App *a, Canvas *c, Rect r)
{
    
    canvas_box(c, r, STYLE_BORDER, TR(a, "Cumulative MACs", "累计乘加"));
}
