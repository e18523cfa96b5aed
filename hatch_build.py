"""Bundle the embedded OIDC provider at build time, like the labextension."""

from hatchling.builders.hooks.plugin.interface import BuildHookInterface


class OIDCProviderBundle(BuildHookInterface):
    PLUGIN_NAME = "custom"

    def initialize(self, version, build_data):
        from hatch_jupyter_builder import npm_builder

        npm_builder(
            self.target_name,
            version,
            path="jupyterhub_datalab/devstack/oidc",
            build_cmd="build",
            npm=["npm"],
            source_dir="jupyterhub_datalab/devstack/oidc/provider.mjs",
            build_dir="jupyterhub_datalab/devstack/oidc/dist",
        )
