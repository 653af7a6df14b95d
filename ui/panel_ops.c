/* panel_ops: placeholder until the panel is written. */
#include "ui/panels.h"
#include "ui/style.h"

void panel_ops_draw(const App *a, Canvas *c, Rect r)
{
    
    canvas_box(c, r, STYLE_BORDER, TR(a, "Operations", "运算"));
}
