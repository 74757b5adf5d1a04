"""The desired state: what a ``domains.yaml`` says, loaded, checked and written back.

The first stage of the pipeline and part of the pure core: the model, the YAML source
with its line numbers, the loader, the diagnostics for pydantic errors, host-name and
range rules, certificate fingerprints, credential variable names, the stored-state
value, inbox addresses, the to-YAML writer and the published JSON Schemas. Nothing
here touches the store, the network or an output folder.
"""
