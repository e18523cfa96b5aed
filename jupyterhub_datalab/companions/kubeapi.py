"""The Kubernetes API as the companion backend reaches it: where the API server is (its
settings), one client per event loop, and calls that return JSON or raise ``ApiException``.

A mixin of ``KubernetesBackend`` (its settings are ``c.KubernetesBackend.<name>``), apart so
the backend reads as what it does with the API, not how it reaches it.
"""

from __future__ import annotations

import asyncio
import contextlib

from traitlets import Bool, HasTraits, Unicode

from . import BackendError


class KubeApi(HasTraits):
    """The API server's address and credentials, and the calls made to it."""

    _client = _client_loop = None  # the client, and the event loop it belongs to

    # -- the API server -----------------------------------------------------------------

    kubeconfig = Unicode(
        "", config=True,
        help="""A kubeconfig file to reach the API server. Empty: the in-cluster service
        account when running in a pod, else ``$KUBECONFIG`` / ``~/.kube/config``.""",
    )
    api_host = Unicode(
        "", config=True,
        help="""The API server's URL, overriding the kubeconfig's (as ``KubeSpawner.k8s_api_host``).
        With no kubeconfig and not in a cluster, this alone is enough (no credentials).""",
    )
    verify_ssl = Bool(
        True, config=True, help="Verify the API server's TLS certificate.",
    )
    ssl_ca_cert = Unicode(
        "", config=True, help="A CA bundle file for the API server's certificate.",
    )

    # -- the API client -------------------------------------------------------------------

    async def _api(self):
        """(CoreV1Api, AppsV1Api) on this backend's own client, made in the running loop."""
        from kubernetes_asyncio import client, config

        loop = asyncio.get_running_loop()
        if self._client is None or self._client_loop is not loop:
            conf = client.Configuration()
            try:
                if self.kubeconfig:
                    await config.load_kube_config(config_file=self.kubeconfig, client_configuration=conf)
                elif not self.api_host:
                    try:
                        config.load_incluster_config(client_configuration=conf)
                    except config.ConfigException as in_cluster:
                        try:
                            await config.load_kube_config(client_configuration=conf)
                        except (config.ConfigException, OSError) as e:
                            # both said: the in-cluster reason is the one a pod needs
                            raise config.ConfigException(f"in the cluster: {in_cluster}; "
                                                         f"kubeconfig: {e}") from None
            except (config.ConfigException, OSError) as e:
                raise BackendError(503,
                                   f"The Kubernetes API cannot be reached: no usable configuration ({e}).",
                                   fr=f"L'API Kubernetes est injoignable : pas de configuration utilisable ({e}).") from None
            if self.api_host:
                conf.host = self.api_host
            if self.ssl_ca_cert:
                conf.ssl_ca_cert = self.ssl_ca_cert
            conf.verify_ssl = self.verify_ssl
            self._client, self._client_loop = client.ApiClient(configuration=conf), loop
        return client.CoreV1Api(self._client), client.AppsV1Api(self._client)

    async def close(self):
        if self._client is not None:
            with contextlib.suppress(Exception):
                await self._client.close()
            self._client = None

    async def _call(self, method, *args, missing_ok=False, text=False, **kwargs):
        """Call an API method; its JSON as a dict (or text). None for a 404 if ``missing_ok``.
        Refusals raise ``ApiException`` (status, body), as the preloading client does."""
        from kubernetes_asyncio.client.rest import ApiException

        try:
            response = await method(*args, _preload_content=False, **kwargs)
        except OSError as e:  # aiohttp's connection errors
            raise BackendError(503,
                               f"The Kubernetes API cannot be reached: {e}",
                               fr=f"L'API Kubernetes est injoignable : {e}") from None
        try:
            if not 200 <= response.status <= 299:
                if missing_ok and response.status == 404:
                    return None
                error = ApiException(status=response.status, reason=response.reason)
                error.body = await response.text()
                raise error
            return await (response.text() if text else response.json(content_type=None))
        finally:
            response.release()
