"""The Datalab sidebar's sections as a test finds them: each section is a JupyterLab
`PanelWithToolbar` in the sidebar's accordion, its toolbar in its header (outside the
section's own node, which holds its body)."""


def section_header(page, kind):
    """The accordion header of a section (`storage`, `secrets`, `services`)."""
    return page.locator(f".jp-Datalab-sidebar .lm-AccordionPanel-title[aria-controls='jp-Datalab-panel-{kind}']")


def toolbar_button(page, kind, action):
    """A section's toolbar button (a JupyterLab `ToolbarButton`, a `jp-button` element)."""
    return section_header(page, kind).locator(f"[data-action='{action}']")
