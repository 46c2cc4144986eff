// swift-format-ignore-file
// Generated from themes/*.yaml: compiled-in copies so the binary always has its built-in themes.
// Regenerate with `SMITOP_RECORD_SNAPSHOTS=1 swift test --filter UITests`; ThemeTests fails when they differ.
enum BuiltinThemes {
    static let sources: [String: String] = [
        "colorblind": #"""
# smitop built-in theme: colorblind. Health uses blue (good) / orange (warn) / vermilion
# with bold underline (bad), distinguishable with red-green colour blindness; every health
# state also carries a textual marker in the UI, so colour is never the only signal.
# Format: see default.yaml and docs/themes.md.
name: colorblind
description: Dark background, blue/orange health colours safe for red-green colour blindness.
roles:
  text:         { fg: 252, bg: default, fg8: white, bg8: default }
  muted:        { fg: 244, fg8: white, attrs: [dim] }
  header:       { fg: 231, bg: 24, fg8: white, bg8: blue, attrs: [bold] }
  footer:       { fg: 250, bg: 236, fg8: black, bg8: white }
  border:       { fg: 240, fg8: white }
  title:        { fg: 117, fg8: cyan, attrs: [bold] }
  selection:    { fg: 16, bg: 117, fg8: black, bg8: cyan }
  focus:        { fg: 16, bg: 153, fg8: black, bg8: white, attrs: [bold] }
  tableHeader:  { fg: 117, fg8: cyan, attrs: [bold, underline] }
  keyHint:      { fg: 117, bg: 236, fg8: blue, bg8: white, attrs: [bold] }
  message:      { fg: 252, fg8: white }
  error:        { fg: 202, fg8: yellow, attrs: [bold, underline] }
  healthy:      { fg: 39, fg8: blue }
  warning:      { fg: 214, fg8: yellow }
  critical:     { fg: 202, fg8: yellow, attrs: [bold, underline] }
  unknown:      { fg: 244, fg8: white, attrs: [dim] }
  edge:         { fg: 245, fg8: white }
  edgeSelected: { fg: 231, fg8: white, attrs: [bold] }
  split:        { fg: 183, fg8: magenta }
  badgeLive:    { fg: 16, bg: 39, fg8: black, bg8: blue, attrs: [bold] }
  badgeStale:   { fg: 16, bg: 214, fg8: black, bg8: yellow, attrs: [bold] }
  badgeOffline: { fg: 231, bg: 202, fg8: black, bg8: yellow, attrs: [bold, underline] }
  dialog:       { fg: 252, bg: 237, fg8: white, bg8: blue }
  dialogBorder: { fg: 117, bg: 237, fg8: cyan, bg8: blue, attrs: [bold] }
  input:        { fg: 231, bg: 238, fg8: white, bg8: black }
  cursor:       { fg: 16, bg: 252, fg8: black, bg8: white }
  sparkline:    { fg: 39, fg8: blue }
  weightBar:    { fg: 39, fg8: blue }
  weightDraft:  { fg: 214, fg8: yellow, attrs: [bold] }
  diffAdded:    { fg: 39, fg8: blue }
  diffRemoved:  { fg: 202, fg8: yellow, attrs: [underline] }

"""#,
        "default": #"""
# smitop built-in theme: default (for dark terminal backgrounds).
# fg/bg: 256-colour palette index (0-255), a colour name, or `default` (the terminal's own).
# fg8/bg8: used on 8-colour terminals: black red green yellow blue magenta cyan white, or default.
# attrs: any of bold, underline, reverse, dim (applied in both colour modes).
# See docs/themes.md for every role and its fallback.
name: default
description: Dark background, cyan accents, green/amber/red health.
roles:
  text:         { fg: 252, bg: default, fg8: white, bg8: default }
  muted:        { fg: 244, fg8: white, attrs: [dim] }
  header:       { fg: 231, bg: 24, fg8: white, bg8: blue, attrs: [bold] }
  footer:       { fg: 250, bg: 236, fg8: black, bg8: white }
  border:       { fg: 240, fg8: blue }
  title:        { fg: 81, fg8: cyan, attrs: [bold] }
  selection:    { fg: 231, bg: 31, fg8: black, bg8: cyan }
  focus:        { fg: 231, bg: 25, fg8: white, bg8: blue, attrs: [bold] }
  tableHeader:  { fg: 110, fg8: cyan, attrs: [bold, underline] }
  keyHint:      { fg: 81, bg: 236, fg8: blue, bg8: white, attrs: [bold] }
  message:      { fg: 252, fg8: white }
  error:        { fg: 203, fg8: red, attrs: [bold] }
  healthy:      { fg: 78, fg8: green }
  warning:      { fg: 214, fg8: yellow }
  critical:     { fg: 203, fg8: red, attrs: [bold] }
  unknown:      { fg: 244, fg8: white, attrs: [dim] }
  edge:         { fg: 245, fg8: white }
  edgeSelected: { fg: 231, fg8: white, attrs: [bold] }
  split:        { fg: 141, fg8: magenta }
  badgeLive:    { fg: 16, bg: 78, fg8: black, bg8: green, attrs: [bold] }
  badgeStale:   { fg: 16, bg: 214, fg8: black, bg8: yellow, attrs: [bold] }
  badgeOffline: { fg: 231, bg: 160, fg8: white, bg8: red, attrs: [bold] }
  dialog:       { fg: 252, bg: 237, fg8: white, bg8: blue }
  dialogBorder: { fg: 81, bg: 237, fg8: cyan, bg8: blue, attrs: [bold] }
  input:        { fg: 231, bg: 238, fg8: white, bg8: black }
  cursor:       { fg: 16, bg: 252, fg8: black, bg8: white }
  sparkline:    { fg: 75, fg8: cyan }
  weightBar:    { fg: 78, fg8: green }
  weightDraft:  { fg: 214, fg8: yellow, attrs: [bold] }
  diffAdded:    { fg: 78, fg8: green }
  diffRemoved:  { fg: 203, fg8: red }

"""#,
        "light": #"""
# smitop built-in theme: light (for light terminal backgrounds).
# Format: see default.yaml and docs/themes.md.
name: light
description: Light background, dark text, blue accents.
roles:
  text:         { fg: 235, bg: default, fg8: black, bg8: default }
  muted:        { fg: 243, fg8: black, attrs: [dim] }
  header:       { fg: 231, bg: 25, fg8: white, bg8: blue, attrs: [bold] }
  footer:       { fg: 236, bg: 253, fg8: white, bg8: black }
  border:       { fg: 248, fg8: blue }
  title:        { fg: 25, fg8: blue, attrs: [bold] }
  selection:    { fg: 16, bg: 153, fg8: white, bg8: blue }
  focus:        { fg: 231, bg: 25, fg8: white, bg8: blue, attrs: [bold] }
  tableHeader:  { fg: 25, fg8: blue, attrs: [bold, underline] }
  keyHint:      { fg: 25, bg: 253, fg8: cyan, bg8: black, attrs: [bold] }
  message:      { fg: 235, fg8: black }
  error:        { fg: 160, fg8: red, attrs: [bold] }
  healthy:      { fg: 28, fg8: green }
  warning:      { fg: 130, fg8: yellow, attrs: [bold] }
  critical:     { fg: 160, fg8: red, attrs: [bold] }
  unknown:      { fg: 244, fg8: black, attrs: [dim] }
  edge:         { fg: 242, fg8: black }
  edgeSelected: { fg: 16, fg8: black, attrs: [bold] }
  split:        { fg: 91, fg8: magenta }
  badgeLive:    { fg: 231, bg: 28, fg8: white, bg8: green, attrs: [bold] }
  badgeStale:   { fg: 16, bg: 214, fg8: black, bg8: yellow, attrs: [bold] }
  badgeOffline: { fg: 231, bg: 160, fg8: white, bg8: red, attrs: [bold] }
  dialog:       { fg: 235, bg: 254, fg8: black, bg8: white }
  dialogBorder: { fg: 25, bg: 254, fg8: blue, bg8: white, attrs: [bold] }
  input:        { fg: 16, bg: 252, fg8: black, bg8: white }
  cursor:       { fg: 231, bg: 235, fg8: white, bg8: black }
  sparkline:    { fg: 26, fg8: blue }
  weightBar:    { fg: 28, fg8: green }
  weightDraft:  { fg: 130, fg8: yellow, attrs: [bold] }
  diffAdded:    { fg: 28, fg8: green }
  diffRemoved:  { fg: 160, fg8: red }

"""#,
        "mono": #"""
# smitop built-in theme: mono. No colours at all, only attributes; selected automatically
# when NO_COLOR is set (https://no-color.org) or the terminal has no colours.
# Format: see default.yaml and docs/themes.md.
name: mono
description: No colour; bold, underline, reverse and dim only.
roles:
  text:         {}
  muted:        { attrs: [dim] }
  header:       { attrs: [reverse, bold] }
  footer:       { attrs: [reverse] }
  border:       {}
  title:        { attrs: [bold] }
  selection:    { attrs: [reverse] }
  focus:        { attrs: [reverse, bold] }
  tableHeader:  { attrs: [bold, underline] }
  keyHint:      { attrs: [reverse, bold] }
  message:      {}
  error:        { attrs: [bold, underline] }
  healthy:      {}
  warning:      { attrs: [bold] }
  critical:     { attrs: [bold, underline] }
  unknown:      { attrs: [dim] }
  edge:         {}
  edgeSelected: { attrs: [bold] }
  split:        { attrs: [dim] }
  badgeLive:    { attrs: [reverse] }
  badgeStale:   { attrs: [reverse, dim] }
  badgeOffline: { attrs: [reverse, bold, underline] }
  dialog:       {}
  dialogBorder: { attrs: [bold] }
  input:        { attrs: [underline] }
  cursor:       { attrs: [reverse] }
  sparkline:    {}
  weightBar:    {}
  weightDraft:  { attrs: [bold] }
  diffAdded:    { attrs: [bold] }
  diffRemoved:  { attrs: [dim] }

"""#,
    ]
}
