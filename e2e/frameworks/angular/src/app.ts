// The app: a live badge for one person at a time, the last presence-change it was told of
// (bound with Angular's (presence-change)), and a button that shows the next person by changing
// the badge's `user` property ([user]). CUSTOM_ELEMENTS_SCHEMA lets the template use the tags.
import { ChangeDetectionStrategy, Component, CUSTOM_ELEMENTS_SCHEMA, computed, signal } from "@angular/core";
import type { Presence } from "presence-widgets";
import { said, settings } from "../../shared/presence";

@Component({
  selector: "app-root",
  schemas: [CUSTOM_ELEMENTS_SCHEMA],
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `
    <main>
      <h1>An Angular 21 app</h1>
      <p>Someone: <presence-badge id="badge" source="teams" [user]="user()" show-label (presence-change)="changed($event)"></presence-badge></p>
      <p lang="de">Auf Deutsch: <presence-badge id="german" source="teams" [user]="user()" show-label></presence-badge></p>
      <p id="changed">{{ last() }}</p>
      <button id="next" type="button" (click)="next()">Next person</button>
    </main>
  `,
})
export class App {
  private readonly people = settings(location.search).people;
  private readonly index = signal(0);
  protected readonly last = signal("nothing yet");
  protected readonly user = computed(() => this.people[this.index()] ?? "");

  protected changed(event: Event): void {
    this.last.set(said(event as CustomEvent<Presence>));
  }

  protected next(): void {
    this.index.update((i) => (i + 1) % Math.max(this.people.length, 1));
  }
}
