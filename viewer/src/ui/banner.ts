/** The one status line over the scene: connection trouble (warning) or a fatal input error. */
export class Banner {
  private readonly element: HTMLElement;
  text = '';
  level: 'none' | 'warning' | 'error' = 'none';

  constructor(element: HTMLElement) {
    this.element = element;
  }

  show(text: string, level: 'warning' | 'error'): void {
    this.text = text;
    this.level = level;
    this.element.textContent = text;
    this.element.classList.toggle('error', level === 'error');
    this.element.hidden = false;
  }

  hide(): void {
    this.text = '';
    this.level = 'none';
    this.element.hidden = true;
  }
}
