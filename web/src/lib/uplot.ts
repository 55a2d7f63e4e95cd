// uPlot and its stylesheet, one chunk loaded on demand (chart.ts imports this dynamically).
import 'uplot/dist/uPlot.min.css';
export { default } from 'uplot';
