/* panel_tokens: placeholder until the panel is written. */
#include "ui/panels.h"
#include "ui/style.h"

void panel_tokens_draw(const App *a, const Engine *e, Canvas *c, Rect r)
{
    (void)e;
    canvas_box(c, r, STYLE_BORDER, TR(a, "Tokens", "词元"));
}
