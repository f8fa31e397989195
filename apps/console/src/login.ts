/** The login form (a full-screen card); resolves once the server accepted the credentials. */
import { api, describeError } from './api.js';
import { byId } from './dom.js';
import type { User } from './types.js';

export function askLogin(): Promise<User> {
  const section = byId('login');
  const form = byId<HTMLFormElement>('login-form');
  const error = byId('login-error');
  section.hidden = false;
  error.textContent = '';
  form.querySelector<HTMLInputElement>('input[name=username]')?.focus();
  return new Promise((resolve) => {
    const submit = async (ev: SubmitEvent) => {
      ev.preventDefault();
      const data = new FormData(form);
      try {
        const res = await api<{ user: User }>('/api/auth/login', {
          body: {
            username: String(data.get('username') ?? ''),
            password: String(data.get('password') ?? ''),
          },
        });
        form.removeEventListener('submit', listener);
        form.reset();
        section.hidden = true;
        resolve(res.user);
      } catch (e) {
        error.textContent = `Login failed: ${describeError(e)}`;
      }
    };
    const listener = (ev: SubmitEvent) => void submit(ev);
    form.addEventListener('submit', listener);
  });
}
