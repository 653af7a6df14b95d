/* panels: the panel list. See panels.h. */
#include "ui/panels/panels.h"

#include "lessons/lesson.h"
#include "ui/layout.h"

#define AT(field) offsetof(Layout, field)

const PanelEntry panel_list[] = {
    {panel_tokens_draw, AT(tokens), POINT_TOKENS, PANEL_VIEW_ENGINE},
    {panel_pool_draw, AT(pool), POINT_BLOCKS, PANEL_VIEW_ENGINE},
    {panel_traffic_draw, AT(traffic), POINT_TRAFFIC, PANEL_VIEW_ENGINE},
    {panel_roofline_draw, AT(roofline), -1, PANEL_VIEW_ENGINE},
    {panel_mask_draw, AT(mask), POINT_MASK, PANEL_VIEW_ENGINE},
    {panel_attention_draw, AT(attention), POINT_ATTENTION, PANEL_VIEW_ENGINE},
    {panel_kvcache_draw, AT(kvcache), POINT_KVCACHE, PANEL_VIEW_ENGINE},
    {panel_mask_draw, AT(mask2), -1, PANEL_RECOMPUTE_ENGINE},
    {panel_kvcache_draw, AT(kvcache2), -1, PANEL_RECOMPUTE_ENGINE},
    {panel_ops_draw, AT(ops), POINT_OPS, PANEL_VIEW_ENGINE},
    {panel_chart_draw, AT(chart), POINT_CHART, PANEL_VIEW_ENGINE},
    {panel_chart_step_draw, AT(chart_step), -1, PANEL_VIEW_ENGINE},
    {panel_cost_draw, AT(cost), -1, PANEL_VIEW_ENGINE},
    {panel_pipeline_draw, AT(pipeline), POINT_PIPELINE, PANEL_VIEW_ENGINE},
    {panel_lesson_draw, AT(lesson), -1, PANEL_VIEW_ENGINE},
};
const int panel_count = (int)(sizeof panel_list / sizeof panel_list[0]);
