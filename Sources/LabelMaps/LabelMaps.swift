// LabelMaps module.
