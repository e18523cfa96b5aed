import { LabIcon } from '@jupyterlab/ui-components';

/** Three stacked layers: storage, secrets, services. `jp-icon3` follows the theme. */
const datalabSvg = `<svg xmlns="http://www.w3.org/2000/svg" width="16" viewBox="0 0 24 24">
  <g class="jp-icon3" fill="#616161">
    <path d="M12 2 2 7l10 5 10-5z"/>
    <path d="m4.2 10.9-2.2 1.1 10 5 10-5-2.2-1.1-7.8 3.9z"/>
    <path d="m4.2 15.9-2.2 1.1 10 5 10-5-2.2-1.1-7.8 3.9z"/>
  </g>
</svg>`;

export const datalabIcon = new LabIcon({
  name: 'jupyterhub-datalab:datalab',
  svgstr: datalabSvg
});
