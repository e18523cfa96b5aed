"""Bundle the embedded stack's Node parts at build time, like the labextension."""

from hatchling.builders.hooks.plugin.interface import BuildHookInterface


class NodeBundles(BuildHookInterface):
    """npm install + esbuild in devstack/node: the OIDC provider and the proxy."""

    PLUGIN_NAME = "custom"

    def initialize(self, version, build_data):
        from hatch_jupyter_builder import npm_builder

        npm_builder(
            self.target_name,
            version,
            path="jupyterhub_datalab/devstack/node",
            build_cmd="build",
            npm=["npm"],
            source_dir="jupyterhub_datalab/devstack/node",
            build_dir="jupyterhub_datalab/devstack/node/dist",
        )
